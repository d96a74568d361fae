// The data-drop diff over real HTTP with the engine running (file connector): a held sync
// compared with the applied one, paged and filtered; after ConfirmSyncValid the applied sync
// compared with the one it replaced; refusals that say what to do.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { newestSyncEnded } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
before(async () => {
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
});
after(async () => {
  await server.stop();
});

const FILE = "type.googleapis.com/syncplane.v1.FileConnectorConfig";
const name = (i: number) => `u${String(i).padStart(2, "0")}`;

/** Users `ids` and group g1 whose member entitlement each of them has. */
function directory(path: string, ids: readonly number[]): void {
  writeFileSync(
    path,
    JSON.stringify({
      resourceTypes: [
        { id: "user", displayName: "User", traits: ["USER"] },
        { id: "group", displayName: "Group", traits: ["GROUP"] },
      ],
      resources: [
        ...ids.map((i) => ({ resourceType: "user", id: name(i), displayName: `User ${i}` })),
        { resourceType: "group", id: "g1", displayName: "Admins" },
      ],
      entitlements: [{ resourceType: "group", resourceId: "g1", slug: "member" }],
      grants: ids.map((i) => ({
        entitlement: "group:g1:member",
        principal: { resourceType: "user", id: name(i) },
      })),
    }),
  );
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

const settled = async (base: string): Promise<Json> => newestSyncEnded(server, base);

const zero = { removed: 0, added: 0 };

describe("the data-drop diff", () => {
  it("shows what a held sync removed, pages and filters it, and follows ConfirmSyncValid", async () => {
    const path = join(tempDir("syncplane-diff-"), "directory.json");
    directory(path, range(0, 39));
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "diff" } });
    const appId = (app.body.app as Json).id as string;
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { catalogId: "file", config: { "@type": FILE, path } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const connectorId = ((created.body.connectorView as Json).connector as Json).id as string;
    const base = `/api/v1/apps/${appId}/connectors/${connectorId}`;
    const first = await settled(base);
    assert.equal(first.state, "SUCCEEDED");

    // The connector's first data: compared with nothing, all of it is added.
    const initial = await server.call(
      "GET",
      `${base}/syncs/${first.id as string}/diff?page_size=1`,
    );
    assert.equal(initial.status, 200, JSON.stringify(initial.body));
    assert.equal(initial.body.baseSyncId, undefined);
    assert.deepEqual((initial.body.totals as Json).grants, { removed: 0, added: 40 });
    assert.deepEqual((initial.body.totals as Json).resources, { removed: 0, added: 41 });

    // 30 users leave, 5 arrive: held.
    directory(path, [...range(0, 9), ...range(40, 44)]);
    await server.call("POST", `${base}/force_sync`);
    const held = await settled(base);
    assert.equal(held.state, "ERRORED_NO_DATA");
    const diffOf = (id: string, query = "") =>
      server.call("GET", `${base}/syncs/${id}/diff${query}`);

    const firstPage = await diffOf(held.id as string, "?page_size=7");
    assert.equal(firstPage.status, 200, JSON.stringify(firstPage.body));
    assert.equal(firstPage.body.syncId, held.id);
    assert.equal(firstPage.body.baseSyncId, first.id);
    const thirtyFive = { removed: 30, added: 5 };
    assert.deepEqual(firstPage.body.totals, {
      resources: thirtyFive,
      entitlements: zero,
      grants: thirtyFive,
      byResourceType: [
        { resourceTypeId: "group", resources: zero, entitlements: zero, grants: thirtyFive },
        { resourceTypeId: "user", resources: thirtyFive, entitlements: zero, grants: zero },
      ],
    });
    assert.deepEqual((firstPage.body.list as Json[])[0], {
      change: "removed",
      kind: "resources",
      resourceTypeId: "user",
      resourceId: "u10",
      displayName: "User 10",
    });

    // Every page in turn: removed users, added users, removed grants, added grants.
    const items: Json[] = [...(firstPage.body.list as Json[])];
    let token = firstPage.body.nextPageToken as string | undefined;
    let pages = 1;
    while (token) {
      const next = await diffOf(held.id as string, `?page_size=7&page_token=${token}`);
      assert.equal(next.status, 200, JSON.stringify(next.body));
      assert.equal(next.body.totals, undefined, "totals on the first page only");
      items.push(...(next.body.list as Json[]));
      token = next.body.nextPageToken as string | undefined;
      pages++;
    }
    assert.equal(items.length, 70);
    assert.equal(pages, 10);
    const lanes = items.map((item) => `${item.kind as string}/${item.change as string}`);
    assert.deepEqual(
      [...new Set(lanes)],
      ["resources/removed", "resources/added", "grants/removed", "grants/added"],
    );
    const removedGrant = items.find((item) => item.kind === "grants") as Json;
    assert.deepEqual(removedGrant, {
      change: "removed",
      kind: "grants",
      resourceTypeId: "group",
      id: "group:g1:member:user:u10",
      entitlementId: "group:g1:member",
      principal: { resourceTypeId: "user", resourceId: "u10" },
    });

    // Filters.
    const added = await diffOf(held.id as string, "?kind=grants&change=added");
    assert.deepEqual(
      (added.body.list as Json[]).map((item) => item.principal.resourceId as string),
      ["u40", "u41", "u42", "u43", "u44"],
    );
    assert.equal(added.body.nextPageToken, undefined);
    const byType = await diffOf(held.id as string, "?kind=grants&resource_type_id=user");
    assert.deepEqual(byType.body.list, [], "grants count under their entitlement's type");
    const users = await diffOf(held.id as string, "?resource_type_id=user&change=added");
    assert.equal((users.body.list as Json[]).length, 5);

    // Refusals.
    const badKind = await diffOf(held.id as string, "?kind=users");
    assert.equal(badKind.status, 400);
    assert.match(JSON.stringify(badKind.body), /kind/);
    const badToken = await diffOf(held.id as string, "?page_token=bm9wZQ");
    assert.equal(badToken.status, 400);
    assert.match(badToken.body.message as string, /page_token/);
    const missing = await diffOf("nosuchsync");
    assert.equal(missing.status, 404);

    // Confirmed: the held sync is applied and compared with the sync it replaced, which in turn
    // is compared with it.
    const confirmed = await server.call("POST", `${base}/confirm_sync_valid/${held.id as string}`);
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    const applied = await diffOf(held.id as string, "?page_size=1");
    assert.equal(applied.body.baseSyncId, first.id);
    assert.deepEqual((applied.body.totals as Json).grants, thirtyFive);
    const replaced = await diffOf(first.id as string, "?page_size=1");
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.baseSyncId, held.id);
    assert.deepEqual((replaced.body.totals as Json).grants, { removed: 5, added: 30 });
    // The replaced sync's rows can be browsed too.
    const before = await server.call(
      "GET",
      `${base}/inventory/grants?sync_id=${first.id as string}&page_size=500`,
    );
    assert.equal(before.status, 200, JSON.stringify(before.body));
    assert.equal((before.body.list as Json[]).length, 40);

    // One more sync: the first no longer keeps its rows; an unchanged sync has an empty diff.
    await server.call("POST", `${base}/force_sync`);
    const third = await settled(base);
    assert.equal(third.state, "SUCCEEDED");
    const unchanged = await diffOf(third.id as string);
    assert.deepEqual(unchanged.body.totals, {
      resources: zero,
      entitlements: zero,
      grants: zero,
    });
    assert.deepEqual(unchanged.body.list, []);
    const gone = await diffOf(first.id as string);
    assert.equal(gone.status, 400, JSON.stringify(gone.body));
    assert.equal(gone.body.code, 9, "FAILED_PRECONDITION");
    assert.match(gone.body.message as string, /no longer keeps its inventory/);
    const browse = await server.call(
      "GET",
      `${base}/inventory/grants?sync_id=${first.id as string}`,
    );
    assert.equal(browse.status, 400);
    assert.match(browse.body.message as string, /no longer keeps its inventory/);
  });
});
