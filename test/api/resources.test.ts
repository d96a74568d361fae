// Apps and connectors: create, list (paged), get, update with updateMask, delete.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAppAndConnector, startTestServer, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

const FILE = "type.googleapis.com/syncplane.v1.FileConnectorConfig";
const BATON = "type.googleapis.com/syncplane.v1.BatonConnectorConfig";

describe("apps", () => {
  it("create, get, update and delete", async () => {
    const created = await server.call("POST", "/api/v1/apps", {
      body: {
        displayName: "Okta",
        description: "directory",
        monthlyCostUsd: 12,
        annotations: { team: "it" },
      },
    });
    assert.equal(created.status, 200);
    const app = created.body.app as Json;
    assert.match(app.id, /^[0-9A-Za-z]{27}$/);
    assert.equal(app.displayName, "Okta");
    assert.equal(app.monthlyCostUsd, 12);
    assert.deepEqual(app.annotations, { team: "it" });
    assert.ok(Date.parse(app.createdAt) > 0);

    const got = await server.call("GET", `/api/v1/apps/${app.id}`);
    assert.deepEqual(got.body.app, app);

    const updated = await server.call("POST", `/api/v1/apps/${app.id}`, {
      body: {
        app: { ...app, displayName: "Okta prod", description: "ignored" },
        updateMask: "display_name",
      },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal((updated.body.app as Json).displayName, "Okta prod");
    assert.equal((updated.body.app as Json).description, "directory");

    assert.equal((await server.call("DELETE", `/api/v1/apps/${app.id}`)).status, 200);
    assert.equal((await server.call("GET", `/api/v1/apps/${app.id}`)).status, 404);
  });

  it("refuses bad input with clear messages", async () => {
    const missing = await server.call("POST", "/api/v1/apps", { body: { description: "no name" } });
    assert.equal(missing.status, 400);
    assert.match(String(missing.body.message), /field "displayName" is required/);
    const blank = await server.call("POST", "/api/v1/apps", { body: { displayName: "  " } });
    assert.match(String(blank.body.message), /"displayName" must not be blank/);
    const wrongType = await server.call("POST", "/api/v1/apps", { body: { displayName: 42 } });
    assert.match(String(wrongType.body.message), /"displayName" must be a string/);
    const unknown = await server.call("POST", "/api/v1/apps", {
      body: { displayName: "x", colour: "red" },
    });
    assert.match(String(unknown.body.message), /unknown field "colour"/);
    const readOnlyMask = await server.call("POST", "/api/v1/apps/whatever", {
      body: { app: {}, updateMask: "id" },
    });
    assert.equal(readOnlyMask.status, 400);
    assert.match(String(readOnlyMask.body.message), /"id" is read-only/);
  });

  it("refuses to delete an app that still has connectors", async () => {
    const { appId } = await createAppAndConnector(server);
    const response = await server.call("DELETE", `/api/v1/apps/${appId}`);
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 9);
    assert.match(String(response.body.message), /still has 1 connector/);
  });

  it("list pages through all apps", async () => {
    for (let i = 0; i < 5; i++)
      await server.call("POST", "/api/v1/apps", { body: { displayName: `paged ${i}` } });
    const seen = new Set<string>();
    let token = "";
    let pages = 0;
    do {
      const page = await server.call(
        "GET",
        `/api/v1/apps?page_size=2${token ? `&page_token=${token}` : ""}`,
      );
      assert.equal(page.status, 200);
      assert.ok((page.body.list as Json[]).length <= 2);
      for (const app of page.body.list as Json[]) seen.add(app.id);
      token = String(page.body.nextPageToken ?? "");
      pages++;
    } while (token && pages < 50);
    const all = await server.call("GET", "/api/v1/apps?page_size=500");
    assert.equal(seen.size, (all.body.list as Json[]).length);
    assert.ok(pages >= 3);
    const bad = await server.call("GET", "/api/v1/apps?page_token=garbage!");
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /page_token/);
    const badSize = await server.call("GET", "/api/v1/apps?page_size=ten");
    assert.equal(badSize.status, 400);
  });
});

describe("connectors", () => {
  it("create validates catalog and config", async () => {
    const { appId } = await createAppAndConnector(server);
    const create = (body: unknown) =>
      server.call("POST", `/api/v1/apps/${appId}/connectors/create`, { body });
    const cases: [unknown, RegExp][] = [
      [{}, /catalogId is required/],
      [
        { catalogId: "okta" },
        /catalogId "okta" is not known; use one of file, baton, baton-service/,
      ],
      [
        { catalogId: "file", config: { "@type": BATON, command: "x" } },
        /must be "type.googleapis.com\/syncplane.v1.FileConnectorConfig"/,
      ],
      [{ catalogId: "file", config: { "@type": FILE, path: "relative.json" } }, /absolute path/],
      [{ catalogId: "baton", config: { "@type": BATON } }, /"config.command" is required/],
      [{ catalogId: "file", config: "path" }, /"config" must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const response = await create(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.code, 3);
      assert.match(String(response.body.message), message);
    }
    const missingApp = await server.call("POST", "/api/v1/apps/nope/connectors/create", {
      body: { catalogId: "file" },
    });
    assert.equal(missingApp.status, 404);
  });

  it("create returns the C1 connector view", async () => {
    const { appId } = await createAppAndConnector(server);
    const response = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "baton",
        displayName: "Demo",
        description: "baton-demo",
        disableCheckBadSync: true,
        config: { "@type": BATON, command: "baton-demo", args: ["--init-db"] },
        userIds: ["u1"],
        expandMask: { paths: ["*"] },
      },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const c = (response.body.connectorView as Json).connector as Json;
    assert.equal(c.appId, appId);
    assert.equal(c.catalogId, "baton");
    assert.equal(c.displayName, "Demo");
    assert.equal(c.disableCheckBadSync, true);
    assert.deepEqual(c.userIds, ["u1"]);
    assert.deepEqual(c.config, {
      "@type": BATON,
      command: "baton-demo",
      args: ["--init-db"],
      env: {},
      timeoutSeconds: 3600,
    });
    assert.deepEqual(c.status, {}, "never synced: protojson omits the zero enum");
    assert.ok(c.connectorSyncCronSchedule.cronSpec);
  });

  it("a delegated connector has no config and no initial sync until it gets one", async () => {
    const { appId } = await createAppAndConnector(server);
    const response = await server.call("POST", `/api/v1/apps/${appId}/connectors`, {
      body: { catalogId: "file", displayName: "later" },
    });
    assert.equal(response.status, 200);
    const id = ((response.body.connectorView as Json).connector as Json).id;
    const base = `/api/v1/apps/${appId}/connectors/${id}`;
    assert.deepEqual((await server.call("GET", `${base}/syncs`)).body.list, []);
    const forced = await server.call("POST", `${base}/force_sync`);
    assert.equal(forced.status, 400);
    assert.match(String(forced.body.message), /has no config/);
    const updated = await server.call("POST", base, {
      body: { connector: { config: { "@type": FILE, path: "/tmp/x.json" } }, updateMask: "config" },
    });
    assert.equal(updated.status, 200);
    assert.equal((await server.call("POST", `${base}/force_sync`)).status, 200);
  });

  it("update follows the mask and infers it from the fields sent", async () => {
    const { base } = await createAppAndConnector(server);
    const current = ((await server.call("GET", base)).body.connectorView as Json).connector as Json;
    const masked = await server.call("POST", base, {
      body: {
        connector: { ...current, displayName: "renamed", description: "not in mask" },
        updateMask: "displayName",
      },
    });
    assert.equal(masked.status, 200, JSON.stringify(masked.body));
    const after = (masked.body.connectorView as Json).connector as Json;
    assert.equal(after.displayName, "renamed");
    assert.equal(after.description, undefined);

    const inferred = await server.call("POST", base, {
      body: {
        connector: {
          description: "inferred",
          disableCheckBadSync: true,
          syncConfig: { syncResourceTypeIds: ["user"] },
        },
      },
    });
    const c = (inferred.body.connectorView as Json).connector as Json;
    assert.equal(c.description, "inferred");
    assert.equal(c.disableCheckBadSync, true);
    assert.deepEqual(c.syncConfig, { syncResourceTypeIds: ["user"] });
    assert.equal(c.displayName, "renamed");
  });

  it("update refuses read-only and unknown mask paths and bad configs", async () => {
    const { base } = await createAppAndConnector(server);
    const cases: [unknown, RegExp][] = [
      [{ connector: {}, updateMask: "status" }, /"status" is read-only/],
      [{ connector: {}, updateMask: "connectorSyncCronSchedule" }, /is read-only/],
      [{ connector: {}, updateMask: "colour" }, /"colour" is not an updatable field/],
      [
        { connector: { config: { "@type": FILE } }, updateMask: "config" },
        /"connector.config.path" is required/,
      ],
      [
        { connector: { config: null }, updateMask: "config" },
        /needs a config; it cannot be cleared/,
      ],
      [{ connector: { displayName: "" }, updateMask: "displayName" }, /must not be blank/],
    ];
    for (const [body, message] of cases) {
      const response = await server.call("POST", base, { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(String(response.body.message), message);
    }
  });

  it("list pages and shows holds and schedules", async () => {
    const { appId, base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/pause`);
    for (let i = 0; i < 3; i++) {
      await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
        body: { catalogId: "file", config: { "@type": FILE, path: `/tmp/${i}.json` } },
      });
    }
    const first = await server.call("GET", `/api/v1/apps/${appId}/connectors?page_size=3`);
    assert.equal((first.body.list as Json[]).length, 3);
    assert.ok(first.body.nextPageToken);
    const second = await server.call(
      "GET",
      `/api/v1/apps/${appId}/connectors?page_size=3&page_token=${first.body.nextPageToken}`,
    );
    assert.equal((second.body.list as Json[]).length, 1);
    assert.equal(second.body.nextPageToken, undefined);
    const all = [...(first.body.list as Json[]), ...(second.body.list as Json[])].map(
      (view) => view.connector as Json,
    );
    assert.equal(all.filter((c) => c.canResumeSync === true).length, 1);
    assert.ok(all.every((c) => c.connectorSyncCronSchedule.cronSpec));
    assert.equal((await server.call("GET", "/api/v1/apps/nope/connectors")).status, 404);
  });

  it("delete cancels queued syncs, keeps history and hides the connector", async () => {
    const { appId, connectorId, base } = await createAppAndConnector(server);
    assert.equal((await server.call("DELETE", base)).status, 200);
    assert.equal((await server.call("GET", base)).status, 404);
    assert.equal((await server.call("DELETE", base)).status, 404);
    assert.equal((await server.call("POST", `${base}/force_sync`)).status, 404);
    const history = await server.server.store.listSyncs(connectorId, { pageSize: 10, after: null });
    assert.equal(history.items[0]?.state, "CANCELED");
    assert.equal(history.items[0]?.error, "connector deleted");
    assert.equal((await server.call("DELETE", `/api/v1/apps/${appId}`)).status, 200);
  });

  it("every change leaves an audit event; calls that change nothing leave none", async () => {
    const { connectorId, base } = await createAppAndConnector(server);
    await server.call("POST", `${base}/pause`);
    await server.call("POST", `${base}/pause`); // already paused
    await server.call("POST", `${base}/resume`);
    await server.call("POST", `${base}/resume`); // not paused
    await server.call("POST", `${base}/force_sync`); // coalesced with the RESUME sync
    await server.call("POST", `${base}/schedule`, { body: { cron: { cronSpec: "@daily" } } });
    await server.call("POST", `${base}/schedule`, { body: { cron: { cronSpec: "@daily" } } });
    await server.call("POST", `${base}/schedule`);
    await server.call("POST", `${base}/schedule`); // nothing to clear
    await server.call("POST", base, { body: { connector: { description: "x" } } });
    const events = await server.call(
      "GET",
      `/api/v1/audit_events?object_type=connector&object_id=${connectorId}`,
    );
    const actions = (events.body.list as Json[]).map((event) => event.action).reverse();
    assert.deepEqual(actions, [
      "connector.create",
      "connector.pause",
      "connector.resume",
      "connector.schedule.set",
      "connector.schedule.clear",
      "connector.update",
    ]);
    const [latest] = events.body.list as Json[];
    assert.equal(latest?.actor, server.admin.clientId);
    assert.ok(latest?.requestId);
    assert.deepEqual(latest?.details, { fields: ["description"] });
    const resume = (events.body.list as Json[]).find(
      (event) => event.action === "connector.resume",
    );
    assert.match(resume?.details.syncId, /^[0-9A-Za-z]{27}$/);
  });
});

describe("connector secrets", () => {
  it("env values are write-only: reads show a placeholder, sending it back keeps them", async () => {
    const { appId } = await createAppAndConnector(server);
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "baton",
        config: {
          "@type": BATON,
          command: "baton-x",
          env: { API_KEY: "super-secret", REGION: "eu" },
        },
      },
    });
    assert.equal(created.status, 200);
    assert.doesNotMatch(JSON.stringify(created.body), /super-secret/);
    const c = (created.body.connectorView as Json).connector as Json;
    assert.deepEqual(c.config.env, { API_KEY: "********", REGION: "********" });
    const base = `/api/v1/apps/${appId}/connectors/${c.id}`;
    for (const role of ["viewer", "operator", "admin"] as const) {
      const read = await server.call("GET", base, { token: await server.token(role) });
      assert.doesNotMatch(JSON.stringify(read.body), /super-secret/);
    }
    // Read-modify-write: change REGION, send API_KEY back as the placeholder.
    const updated = await server.call("POST", base, {
      body: {
        connector: { config: { ...c.config, env: { API_KEY: "********", REGION: "us" } } },
        updateMask: "config",
      },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const stored = await server.server.store.getConnector(appId, c.id);
    assert.deepEqual(stored?.config?.env, { API_KEY: "super-secret", REGION: "us" });
    const unknown = await server.call("POST", base, {
      body: {
        connector: { config: { ...c.config, env: { NEW_KEY: "********" } } },
        updateMask: "config",
      },
    });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body.message), /config.env.NEW_KEY is the redaction placeholder/);
  });
});

describe("data-drop policy per connector", () => {
  it("is set on create, changed or reset by update, and validated", async () => {
    const { appId } = await createAppAndConnector(server);
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "file",
        config: { "@type": FILE, path: "/tmp/p.json" },
        dataDropPolicy: { thresholdPercent: 20, minRows: 3 },
      },
    });
    const c = (created.body.connectorView as Json).connector as Json;
    assert.deepEqual(c.dataDropPolicy, { thresholdPercent: 20, minRows: 3 });
    const base = `/api/v1/apps/${appId}/connectors/${c.id}`;
    const changed = await server.call("POST", base, {
      body: {
        connector: { dataDropPolicy: { thresholdPercent: 90, minRows: 100 } },
        updateMask: "dataDropPolicy",
      },
    });
    assert.deepEqual(((changed.body.connectorView as Json).connector as Json).dataDropPolicy, {
      thresholdPercent: 90,
      minRows: 100,
    });
    const reset = await server.call("POST", base, {
      body: { connector: { dataDropPolicy: null }, updateMask: "dataDropPolicy" },
    });
    assert.equal(
      ((reset.body.connectorView as Json).connector as Json).dataDropPolicy,
      undefined,
      "back to the defaults",
    );
    const bad = await server.call("POST", base, {
      body: { connector: { dataDropPolicy: { thresholdPercent: 0, minRows: 1 } } },
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /thresholdPercent/);
  });
});
