// Provisioning over HTTP with the scheduler and workers running, through the built-in file
// connector: a grant and a revoke change the file and show in the inventory after the PROVISION
// sync; a pause holds new and queued tasks (ForceSync is refused, a grant is not) and ResumeSync
// releases them in creation order before its RESUME sync; identical open requests share one task;
// cancel; validation against the applied inventory; roles; the audit trail.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDirectory } from "../helpers/inventory.js";
import { until } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
let dir: string;

before(async () => {
  dir = tempDir("syncplane-provisioning-");
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
});
after(async () => {
  await server.stop();
});

/** A file connector over `users` users (the first two in group g1), synced once. */
async function syncedConnector(name: string, users = 5): Promise<{ base: string; path: string }> {
  const path = join(dir, `${name}.json`);
  writeDirectory(path, users, 2);
  const app = await server.call("POST", "/api/v1/apps", { body: { displayName: name } });
  const appId = (app.body.app as Json).id as string;
  const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
    body: {
      catalogId: "file",
      config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path },
    },
  });
  const id = ((created.body.connectorView as Json).connector as Json).id as string;
  const base = `/api/v1/apps/${appId}/connectors/${id}`;
  await until("the initial sync", async () => {
    const list = (await server.call("GET", `${base}/syncs`)).body.list as Json[];
    return list[0]?.state === "SUCCEEDED";
  });
  return { base, path };
}

const grantOf = (user: string) => ({
  entitlementId: "group:g1:member",
  principal: { resourceTypeId: "user", resourceId: user },
});
const fileGrants = (path: string): string[] =>
  (JSON.parse(readFileSync(path, "utf8")).grants as Json[]).map(
    (g) => `${g.entitlement}:${g.principal.resourceType}:${g.principal.id}`,
  );
const task = async (base: string, id: string): Promise<Json> =>
  (await server.call("GET", `${base}/provisioning/${id}`)).body.task as Json;
const ended = (base: string, id: string) =>
  until(`task ${id} to end`, async () => {
    const t = await task(base, id);
    return ["SUCCEEDED", "FAILED", "CANCELED"].includes(t.state) ? t : null;
  });
const appliedGrants = async (base: string): Promise<string[]> =>
  ((await server.call("GET", `${base}/inventory/grants?page_size=100`)).body.list as Json[]).map(
    (g) => g.id as string,
  );

describe("provisioning (file connector)", () => {
  it("grants and revokes, then a PROVISION sync shows the change in the inventory", async () => {
    const { base, path } = await syncedConnector("grant-revoke");
    const created = await server.call("POST", `${base}/provisioning/grant`, {
      body: { ...grantOf("u3"), note: "ticket 42" },
    });
    assert.equal(created.status, 200);
    const grant = created.body.task as Json;
    assert.equal(grant.kind, "GRANT");
    assert.ok(["QUEUED", "RUNNING", "SUCCEEDED"].includes(grant.state));
    assert.equal(grant.note, "ticket 42");
    assert.ok(grant.requestedBy && grant.createdAt);
    const done = await ended(base, grant.id);
    assert.equal(done.state, "SUCCEEDED");
    assert.ok(done.startedAt && done.finishedAt);
    assert.ok(fileGrants(path).includes("group:g1:member:user:u3"));
    await until("the grant in the inventory", async () =>
      (await appliedGrants(base)).includes("group:g1:member:user:u3"),
    );
    const syncs = (await server.call("GET", `${base}/syncs`)).body.list as Json[];
    assert.equal(syncs[0]?.trigger, "PROVISION");

    const revoke = await server.call("POST", `${base}/provisioning/revoke`, {
      body: { grantId: "group:g1:member:user:u0" },
    });
    assert.equal(revoke.status, 200);
    const revoked = await ended(base, (revoke.body.task as Json).id);
    assert.equal(revoked.state, "SUCCEEDED");
    assert.equal(revoked.grantId, "group:g1:member:user:u0");
    assert.deepEqual(revoked.principal, { resourceTypeId: "user", resourceId: "u0" });
    await until(
      "the revoke in the inventory",
      async () => !(await appliedGrants(base)).includes("group:g1:member:user:u0"),
    );

    // Granting what exists is the connector's call: it succeeds and says so.
    const again = await server.call("POST", `${base}/provisioning/grant`, { body: grantOf("u3") });
    const same = await ended(base, (again.body.task as Json).id);
    assert.equal(same.state, "SUCCEEDED");
    assert.equal(same.result, "already exists");

    const log = await server.call("GET", `${base}/provisioning/${grant.id}/log`);
    assert.equal(log.status, 200);
    assert.ok(
      (log.body.lines as Json[]).some((line) => /GRANT succeeded/.test(line.message)),
      JSON.stringify(log.body),
    );
    const audit = await server.call("GET", `/api/v1/audit_events?object_id=${grant.id}`);
    assert.deepEqual((audit.body.list as Json[]).map((e) => e.action).sort(), [
      "provisioning.grant",
      "provisioning.succeeded",
    ]);
  });

  it("holds tasks while paused and releases them in creation order before the RESUME sync", async () => {
    const { base, path } = await syncedConnector("paused", 6);
    assert.equal((await server.call("POST", `${base}/pause`)).status, 200);
    const force = await server.call("POST", `${base}/force_sync`);
    assert.equal(force.status, 400, "ForceSync is refused while paused");
    const ids: string[] = [];
    for (const user of ["u5", "u4", "u3"]) {
      const created = await server.call("POST", `${base}/provisioning/grant`, {
        body: grantOf(user),
      });
      assert.equal(created.status, 200, "a grant is accepted while paused");
      const t = created.body.task as Json;
      assert.equal(t.state, "HELD");
      assert.deepEqual(t.heldBy, ["PAUSED"]);
      ids.push(t.id);
    }
    // The same request again returns the open task instead of a second one.
    const duplicate = await server.call("POST", `${base}/provisioning/grant`, {
      body: grantOf("u4"),
    });
    assert.equal((duplicate.body.task as Json).id, ids[1]);
    // Cancel the last one.
    const canceled = await server.call("POST", `${base}/provisioning/${ids[2]}/cancel`, {
      body: {},
    });
    assert.equal(canceled.status, 200);
    assert.equal((canceled.body.task as Json).state, "CANCELED");
    const again = await server.call("POST", `${base}/provisioning/${ids[2]}/cancel`, { body: {} });
    assert.equal(again.status, 400);
    assert.match(String(again.body.message), /CANCELED; only a QUEUED or HELD task/);

    const held = await server.call("GET", `${base}/provisioning?state=HELD`);
    assert.deepEqual(
      (held.body.list as Json[]).map((t) => t.id),
      ids.slice(0, 2),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(fileGrants(path), ["group:g1:member:user:u0", "group:g1:member:user:u1"]);
    const view = await server.call("GET", base);
    assert.deepEqual((view.body.connectorView as Json).connector.provisioningTasks, { held: 2 });

    assert.equal((await server.call("POST", `${base}/resume`)).status, 200);
    const first = await ended(base, ids[0] as string);
    const second = await ended(base, ids[1] as string);
    assert.equal(first.state, "SUCCEEDED");
    assert.equal(second.state, "SUCCEEDED");
    assert.ok(first.startedAt <= second.startedAt, "released in creation order");
    assert.deepEqual(fileGrants(path).slice(2), [
      "group:g1:member:user:u5",
      "group:g1:member:user:u4",
    ]);
    const resume = await until("the RESUME sync", async () => {
      const list = (await server.call("GET", `${base}/syncs`)).body.list as Json[];
      const sync = list.find((s) => s.trigger === "RESUME" && s.state === "SUCCEEDED");
      return sync ?? null;
    });
    assert.ok(resume.startedAt >= second.finishedAt, "the RESUME sync runs after the tasks");
    const inventory = await appliedGrants(base);
    assert.ok(inventory.includes("group:g1:member:user:u5"));
    assert.ok(inventory.includes("group:g1:member:user:u4"));
    const all = await server.call("GET", `${base}/provisioning`);
    assert.deepEqual(
      (all.body.list as Json[]).map((t) => t.state),
      ["SUCCEEDED", "SUCCEEDED", "CANCELED"],
    );
  });

  it("refuses what the applied inventory does not have, naming it", async () => {
    const { base } = await syncedConnector("validation");
    const cases: [string, Json, RegExp][] = [
      ["grant", grantOf("ghost"), /principal "user:ghost" not found/],
      [
        "grant",
        { ...grantOf("u1"), entitlementId: "group:g9:member" },
        /entitlement "group:g9:member" not found/,
      ],
      [
        "revoke",
        { grantId: "group:g1:member:user:u4" },
        /grant "group:g1:member:user:u4" not found/,
      ],
    ];
    for (const [kind, body, message] of cases) {
      const answer = await server.call("POST", `${base}/provisioning/${kind}`, { body });
      assert.equal(answer.status, 404, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 5);
      assert.match(String(answer.body.message), message);
    }
    const malformed = await server.call("POST", `${base}/provisioning/grant`, {
      body: { entitlementId: "group:g1:member", principal: { resourceTypeId: "user" } },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 3);
    const badState = await server.call("GET", `${base}/provisioning?state=DONE`);
    assert.equal(badState.status, 400);
    assert.match(
      String(badState.body.message),
      /"state" has a bad format \(Only tasks in these states: one or more of QUEUED/,
    );
    const missing = await server.call("GET", `${base}/provisioning/2AAAAAAAAAAAAAAAAAAAAAAAAAA`);
    assert.equal(missing.status, 404);
  });

  it("lets operators provision and viewers only read", async () => {
    const { base } = await syncedConnector("roles");
    const viewer = await server.token("viewer");
    const refused = await server.call("POST", `${base}/provisioning/grant`, {
      body: grantOf("u2"),
      token: viewer,
    });
    assert.equal(refused.status, 403);
    const operator = await server.token("operator");
    const accepted = await server.call("POST", `${base}/provisioning/grant`, {
      body: grantOf("u2"),
      token: operator,
    });
    assert.equal(accepted.status, 200);
    const read = await server.call("GET", `${base}/provisioning`, { token: viewer });
    assert.equal(read.status, 200);
    assert.equal((read.body.list as Json[]).length, 1);
  });
});
