// The TypeScript client runs the seed pages' TypeScript samples with only the import and the
// server URL changed (shared/seeds/*: conductoroneSDKTypescript.connector.<operation>(…)).

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  Syncplane as ConductoroneSDKTypescript,
  Syncplane,
  SyncplaneError,
  type InventoryResource,
} from "../src/client/index.js";
import { downloadSyncTo } from "../src/client/node.js";
import { writeDirectory } from "./helpers/inventory.js";
import {
  createAppAndConnector,
  startTestServer,
  tempDir,
  type TestServer,
} from "./helpers/server.js";
import { until } from "./helpers/wait.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

describe("the seed samples through the TypeScript client", () => {
  it("PauseSync, ResumeSync, ForceSync, UpdateConnectorSchedule, ConfirmSyncValid", async () => {
    const { appId, connectorId } = await createAppAndConnector(server);
    const token = await server.token("operator");
    const conductoroneSDKTypescript = new ConductoroneSDKTypescript({
      serverURL: server.url,
      security: { bearerAuth: token, oauth: token },
    });

    assert.deepEqual(
      await conductoroneSDKTypescript.connector.pauseSync({ appId, connectorId }),
      {},
    );
    assert.deepEqual(
      await conductoroneSDKTypescript.connector.resumeSync({ appId, connectorId }),
      {},
    );
    assert.deepEqual(
      await conductoroneSDKTypescript.connector.forceSync({ appId, connectorId }),
      {},
    );
    assert.deepEqual(
      await conductoroneSDKTypescript.connector.updateConnectorSchedule({ appId, connectorId }),
      {},
    );
    const cleared = await conductoroneSDKTypescript.connector.get({ appId, id: connectorId });
    assert.equal(cleared.connectorView?.connector?.connectorSyncCronSchedule, undefined);
    await conductoroneSDKTypescript.connector.updateConnectorSchedule({
      appId,
      connectorId,
      updateConnectorScheduleRequest: { cron: { cronSpec: "0 6 * * *", timezone: "Europe/Paris" } },
    });
    const { list } = await conductoroneSDKTypescript.syncs.list({ appId, connectorId });
    const latest = list[0]?.id ?? "";
    const refused = await conductoroneSDKTypescript.connector
      .confirmSyncValid({ appId, connectorId, syncLifecycleId: latest })
      .then(
        () => null,
        (error: unknown) => error,
      );
    assert.ok(refused instanceof SyncplaneError);
    assert.equal(refused.codeName, "FAILED_PRECONDITION");
    assert.equal(refused.httpStatus, 400);
  });

  it("authenticates with client credentials the way the C1 SDKs do (signed assertion)", async () => {
    const sdk = new ConductoroneSDKTypescript({
      serverURL: server.url,
      security: { clientID: server.admin.clientId, clientSecret: server.admin.clientSecret },
    });
    const me = await sdk.auth.introspect();
    assert.deepEqual(me.roles, ["admin"]);
    const created = await sdk.apps.create({ displayName: "from the SDK" });
    assert.equal(
      (await sdk.apps.get({ id: created.app?.id ?? "" })).app?.displayName,
      "from the SDK",
    );
  });
});

describe("inventory, logs and downloads through the TypeScript client", () => {
  it("pages the inventory: page_size 2 follows the tokens to the full list", async () => {
    const engine = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
    try {
      const path = join(tempDir("syncplane-client-inv-"), "inventory.json");
      writeDirectory(path, 5, 2);
      const { appId, connectorId } = await createAppAndConnector(engine, { path });
      const sdk = new Syncplane({
        serverURL: engine.url,
        security: { bearerAuth: await engine.token("viewer") },
      });
      const syncId = await until("the initial sync to succeed", async () => {
        const { list } = await sdk.syncs.list({ appId, connectorId });
        return list.find((s) => s.trigger === "INITIAL" && s.state === "SUCCEEDED")?.id;
      });

      const types = await sdk.inventory.listResourceTypes({ appId, connectorId });
      assert.equal(types.syncId, syncId);
      assert.deepEqual(types.list.map((t) => t.id).sort(), ["group", "user"]);

      const seen: InventoryResource[] = [];
      let pages = 0;
      let pageToken: string | undefined;
      do {
        const page = await sdk.inventory.listResources({
          appId,
          connectorId,
          resourceTypeId: "user",
          pageSize: 2,
          pageToken,
        });
        assert.equal(page.syncId, syncId);
        assert.ok(page.list.length <= 2);
        seen.push(...page.list);
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken);
      assert.equal(pages, 3);
      assert.deepEqual(
        seen.map((r) => r.resourceId),
        ["u0", "u1", "u2", "u3", "u4"],
      );

      const entitlements = await sdk.inventory.listEntitlements({
        appId,
        connectorId,
        resourceTypeId: "group",
        resourceId: "g1",
      });
      assert.deepEqual(
        entitlements.list.map((e) => e.slug),
        ["member"],
      );
      const grants = await sdk.inventory.listGrants({
        appId,
        connectorId,
        entitlementId: entitlements.list[0]?.id,
        pageSize: 1,
      });
      assert.equal(grants.list.length, 1);
      assert.ok(grants.nextPageToken);
      const byPrincipal = await sdk.inventory.listGrants({
        appId,
        connectorId,
        principalResourceTypeId: "user",
        principalResourceId: "u1",
      });
      assert.deepEqual(byPrincipal.list[0]?.principal, {
        resourceTypeId: "user",
        resourceId: "u1",
      });
      // A principal's type alone: every grant to users; its id alone: to "u1" of any type.
      const toUsers = await sdk.inventory.listGrants({
        appId,
        connectorId,
        principalResourceTypeId: "user",
      });
      assert.ok(toUsers.list.length > 0);
      assert.ok(toUsers.list.every((grant) => grant.principal.resourceTypeId === "user"));
      const toU1 = await sdk.inventory.listGrants({
        appId,
        connectorId,
        principalResourceId: "u1",
      });
      assert.deepEqual(toU1.list, byPrincipal.list);

      const log = await sdk.syncs.getSyncLog({ appId, connectorId, syncLifecycleId: syncId });
      assert.ok(log.lines.some((line) => line.message === "attempt 1 started"));

      // File connectors keep no c1z: no URL, and no file written.
      const dir = tempDir("syncplane-client-dl-");
      const refused = await downloadSyncTo(sdk, {
        appId,
        connectorId,
        syncLifecycleId: syncId,
        path: join(dir, "s.c1z"),
      }).catch((error: unknown) => error);
      assert.ok(refused instanceof SyncplaneError);
      assert.equal(refused.codeName, "NOT_FOUND");
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      await engine.stop();
    }
  });

  it("downloads through the signed URL without the bearer token, streaming to the file", async () => {
    const body = Buffer.alloc(300_000, 7);
    const seen: { url: string; authorization: string | null }[] = [];
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      seen.push({ url, authorization: new Headers(init?.headers).get("authorization") });
      if (url.endsWith("/syncs/s1/download_url")) {
        return Response.json({ downloadUrl: "https://files.example/downloads/syncs/s1/sync.c1z" });
      }
      if (url.startsWith("https://files.example/")) {
        return new Response(body, { headers: { "content-length": String(body.length) } });
      }
      return Response.json({ code: 5, message: "nope" }, { status: 404 });
    }) as typeof fetch;
    const sdk = new Syncplane({
      serverURL: "https://syncplane.example/",
      security: { bearerAuth: "secret" },
      fetch: fakeFetch,
    });
    const dir = tempDir("syncplane-client-dl-");
    const path = join(dir, "s1.c1z");
    const bytes = await downloadSyncTo(sdk, {
      appId: "a",
      connectorId: "c",
      syncLifecycleId: "s1",
      path,
    });
    assert.equal(bytes, body.length);
    assert.ok(readFileSync(path).equals(body));
    assert.deepEqual(readdirSync(dir), ["s1.c1z"]);
    assert.deepEqual(seen, [
      {
        url: "https://syncplane.example/api/v1/apps/a/connectors/c/syncs/s1/download_url",
        authorization: "Bearer secret",
      },
      { url: "https://files.example/downloads/syncs/s1/sync.c1z", authorization: null },
    ]);

    // The browser-safe form: the same two requests, the body left for the caller to read.
    seen.length = 0;
    const response = await sdk.syncs.downloadResponse({
      appId: "a",
      connectorId: "c",
      syncLifecycleId: "s1",
    });
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(body));
    assert.deepEqual(
      seen.map((request) => request.authorization),
      ["Bearer secret", null],
    );

    // An expired or forged URL answers with a gRPC error body: raised, and no file left behind.
    const expired = new Syncplane({
      serverURL: "https://syncplane.example",
      fetch: (async (input: string | URL | Request) =>
        String(input).endsWith("/download_url")
          ? Response.json({ downloadUrl: "https://files.example/x" })
          : Response.json(
              { code: 7, message: "download URL expired", details: [] },
              { status: 403 },
            )) as typeof fetch,
    });
    const other = join(dir, "expired.c1z");
    const error = await downloadSyncTo(expired, {
      appId: "a",
      connectorId: "c",
      syncLifecycleId: "s1",
      path: other,
    }).catch((e: unknown) => e);
    assert.ok(error instanceof SyncplaneError);
    assert.equal(error.codeName, "PERMISSION_DENIED");
    assert.equal(error.message, "download URL expired");
    assert.equal(existsSync(other), false);
    await assert.rejects(
      expired.syncs.downloadResponse({ appId: "a", connectorId: "c", syncLifecycleId: "s1" }),
      (e: unknown) => e instanceof SyncplaneError && e.codeName === "PERMISSION_DENIED",
    );

    // A body shorter than its content-length (a connection cut) fails, again leaving no file.
    const cut = new Syncplane({
      serverURL: "https://syncplane.example",
      fetch: (async (input: string | URL | Request) =>
        String(input).endsWith("/download_url")
          ? Response.json({ downloadUrl: "https://files.example/x" })
          : new Response(body.subarray(0, 1000), {
              headers: { "content-length": String(body.length) },
            })) as typeof fetch,
    });
    const short = join(dir, "short.c1z");
    await assert.rejects(
      downloadSyncTo(cut, { appId: "a", connectorId: "c", syncLifecycleId: "s1", path: short }),
      /download cut short: got 1000 of 300000 bytes/,
    );
    assert.deepEqual(readdirSync(dir), ["s1.c1z"]);
  });
});
