// The REAL baton-demo connector (github.com/conductorone/baton-demo at commit 6090134, baton-sdk
// v0.2.51; test/interop/README.md) under syncplane, end to end over HTTP with the scheduler and
// workers running: its seeded upstream syncs, and the counts and the inventory are exactly what
// its c1z holds (read here independently of syncplane's reader); users deleted from its upstream
// database are held in ERRORED_NO_DATA until ConfirmSyncValid applies them; a flag its old SDK
// does not know fails the sync with the connector's own stderr; the server's BATON_CLIENT_ID never
// reaches it while the config's env does.

import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { BATON_DEMO, interopBinary, seedBatonDemo } from "../helpers/baton.js";
import { withC1zDatabase } from "../helpers/c1z.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BATON_CONFIG = "type.googleapis.com/syncplane.v1.BatonConnectorConfig";

// The data set `--init-db` seeds at 6090134 (pkg/client/data.go): fixed KSUID-like ids.
const ALICE = "2IC0Wn5oRQqVVn3COFl1O1zSzV6";
const USERS = ["Alice", "Bob", "Carol", "Dan", "Frank"];

/** What a c1z holds, read with the zstd CLI and better-sqlite3 (test/helpers/c1z.ts). */
interface C1zContents {
  syncId: string;
  syncRunColumns: string[];
  resources: Record<string, number>;
  entitlements: number;
  grants: number;
  resourceIds: string[];
  entitlementIds: string[];
  grantIds: string[];
}

function readContents(path: string): Promise<C1zContents> {
  return withC1zDatabase(path, (db) => {
    const syncRunColumns = (
      db.prepare("SELECT name FROM pragma_table_info('v1_sync_runs')").pluck().all() as string[]
    ).sort();
    // The latest finished sync (baton.md §1.6); old files have no sync_type column to filter on.
    const syncId = db
      .prepare(
        "SELECT sync_id FROM v1_sync_runs WHERE ended_at IS NOT NULL ORDER BY ended_at DESC, sync_id DESC LIMIT 1",
      )
      .pluck()
      .get() as string;
    const ids = (table: string) =>
      (
        db
          .prepare(`SELECT external_id FROM ${table} WHERE sync_id = ? ORDER BY external_id`)
          .pluck()
          .all(syncId) as string[]
      ).sort();
    const resources = Object.fromEntries(
      (
        db
          .prepare(
            "SELECT resource_type_id AS t, count(*) AS n FROM v1_resources WHERE sync_id = ? GROUP BY 1",
          )
          .all(syncId) as { t: string; n: number }[]
      ).map((row) => [row.t, row.n]),
    );
    const resourceIds = ids("v1_resources");
    const entitlementIds = ids("v1_entitlements");
    const grantIds = ids("v1_grants");
    return {
      syncId,
      syncRunColumns,
      resources,
      entitlements: entitlementIds.length,
      grants: grantIds.length,
      resourceIds,
      entitlementIds,
      grantIds,
    };
  });
}

describe("the real baton-demo connector under syncplane", interopBinary(BATON_DEMO), () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    dir = tempDir("syncplane-baton-demo-");
    server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function batonConnector(
    name: string,
    args: string[],
    options: { env?: Record<string, string>; dataDropPolicy?: Json } = {},
  ) {
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: name } });
    const appId = (app.body.app as Json).id as string;
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "baton",
        displayName: name,
        config: { "@type": BATON_CONFIG, command: BATON_DEMO, args, env: options.env ?? {} },
        ...(options.dataDropPolicy ? { dataDropPolicy: options.dataDropPolicy } : {}),
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = ((created.body.connectorView as Json).connector as Json).id as string;
    return { base: `/api/v1/apps/${appId}/connectors/${id}`, id };
  }

  const get = async (path: string): Promise<Json> => {
    const result = await server.call("GET", path);
    assert.equal(result.status, 200, `${path}: ${JSON.stringify(result.body)}`);
    return result.body;
  };
  const latestSync = async (base: string): Promise<Json | undefined> =>
    ((await get(`${base}/syncs?page_size=1`)).list as Json[])[0];
  const ended = (base: string, trigger: string, state: string) =>
    until(`a ${trigger} sync in ${state}`, async () => {
      const sync = await latestSync(base);
      return sync?.trigger === trigger && sync.state === state ? sync : null;
    });
  /** The newest sync once its first attempt is over: finished, or queued again with an error. */
  const firstOutcome = (base: string) =>
    until("the first attempt of a sync to end", async () => {
      const sync = await latestSync(base);
      if (!sync) return null;
      const over = !["QUEUED", "RUNNING"].includes(sync.state as string);
      return over || (sync.state === "QUEUED" && sync.error) ? sync : null;
    });

  /** Every item of an inventory list, page by page. */
  async function listAll(base: string, list: string, query = ""): Promise<Json[]> {
    const items: Json[] = [];
    let token = "";
    do {
      const page = await get(
        `${base}/inventory/${list}?page_size=7${query}${token ? `&page_token=${token}` : ""}`,
      );
      items.push(...(page.list as Json[]));
      token = page.nextPageToken ?? "";
    } while (token);
    return items;
  }

  /** Downloads a sync's c1z through its signed URL into the test's directory. */
  async function downloadC1z(base: string, syncId: string, name: string): Promise<string> {
    const { downloadUrl } = await get(`${base}/syncs/${syncId}/download_url`);
    assert.match(downloadUrl, new RegExp(`^${server.url}/downloads/syncs/${syncId}/sync\\.c1z\\?`));
    const download = await fetch(downloadUrl);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get("content-type"), "application/octet-stream");
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString("latin1"), "C1ZF\0", "a v1 (SQLite) c1z");
    const path = join(dir, name);
    writeFileSync(path, bytes);

    // The URL is good for this sync only, and only as signed.
    const tampered = downloadUrl.replace(/signature=[^&]+/, "signature=AAAA");
    const refused = await fetch(tampered);
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as Json).message, /signature is not valid/);
    const otherSync = downloadUrl.replace(
      `/syncs/${syncId}/`,
      "/syncs/2ZZZZZZZZZZZZZZZZZZZZZZZZZZ/",
    );
    assert.equal((await fetch(otherSync)).status, 403);
    return path;
  }

  const seedUpstream = (name: string) => seedBatonDemo(dir, name);

  it("a. syncs the seeded upstream: counts equal the c1z's own and the inventory lists the same ids", async () => {
    const { base } = await batonConnector("demo", [
      "--db-file",
      join(dir, "seeded.db"),
      "--init-db",
    ]);
    const sync = await ended(base, "INITIAL", "SUCCEEDED");
    const connector = (await get(base)).connectorView.connector as Json;
    assert.equal(connector.status.status, "SYNC_STATUS_DONE");

    const c1z = await readContents(await downloadC1z(base, sync.id as string, "seeded.c1z"));
    // The baton-sdk v0.2.51 c1z: the legacy v1_sync_runs, without sync_type or stats.
    assert.deepEqual(c1z.syncRunColumns, ["ended_at", "id", "started_at", "sync_id", "sync_token"]);
    assert.match(c1z.syncId, /^[0-9A-Za-z]{27}$/);
    // The data set of 6090134's --init-db, as measured with the binary.
    assert.deepEqual(c1z.resources, { group: 2, project: 2, role: 2, user: 5 });
    assert.equal(c1z.entitlements, 10);
    assert.equal(c1z.grants, 32);
    // syncplane counted exactly what the connector wrote.
    assert.deepEqual(sync.counts, {
      resources: c1z.resources,
      entitlements: c1z.entitlements,
      grants: c1z.grants,
    });

    // The applied inventory is that sync, with the same ids.
    const types = await get(`${base}/inventory/resource_types`);
    assert.equal(types.syncId, sync.id);
    assert.deepEqual(
      (types.list as Json[]).map((t) => [t.id, t.displayName, t.traits ?? []]),
      [
        ["group", "Group", ["GROUP"]],
        ["project", "Project", []],
        ["role", "Role", ["ROLE"]],
        ["user", "User", ["USER"]],
      ],
    );
    const resources = await listAll(base, "resources");
    assert.deepEqual(
      resources.map((r) => `${r.resourceTypeId}:${r.resourceId}`).sort(),
      c1z.resourceIds,
    );
    assert.deepEqual(
      resources
        .filter((r) => r.resourceTypeId === "user")
        .map((r) => r.displayName)
        .sort(),
      USERS,
    );
    const entitlements = await listAll(base, "entitlements");
    assert.deepEqual(entitlements.map((e) => e.id as string).sort(), c1z.entitlementIds);
    const groupEntitlements = await listAll(base, "entitlements", "&resource_type_id=group");
    assert.deepEqual(groupEntitlements.map((e) => e.slug).sort(), [
      "admin",
      "admin",
      "member",
      "member",
    ]);
    const grants = await listAll(base, "grants");
    assert.deepEqual(grants.map((g) => g.id as string).sort(), c1z.grantIds);

    // Alice is a member of Engineers, and through it has both roles and Product X's access.
    const alice = await listAll(
      base,
      "grants",
      `&principal_resource_type_id=user&principal_resource_id=${ALICE}`,
    );
    assert.deepEqual(alice.map((g) => g.entitlementId as string).sort(), [
      "group:2IC0WmAPkihbFdZhEPsch5N5WNO:member",
      "project:2IC0WqENS0dCRHiJ0YvPAidl0D5:access",
      "role:2IC0WkRTFmsXH4P9TjiQnd29XMT:assignment",
      "role:2IC0WmaHecJdzo5jYnQiTh2BVlB:assignment",
    ]);

    // The connector's JSON log lines are the sync's log.
    const log = await get(`${base}/syncs/${sync.id}/log`);
    const messages = (log.lines as Json[]).map((l) => l.message as string);
    assert.ok(messages.includes("Sync complete."), messages.join("\n"));
    assert.ok(messages.some((m) => /attempt 1 ended SUCCEEDED/.test(m)));
  });

  it("b. holds a drop of users in ERRORED_NO_DATA (DATA_DROP) until ConfirmSyncValid applies it", async () => {
    const upstream = join(dir, "drop.db");
    const args = ["--db-file", upstream];
    // Five users is a small data set: lower the guard's floor so that losing four is a drop.
    const { base } = await batonConnector("drop", [...args, "--init-db"], {
      dataDropPolicy: { thresholdPercent: 50, minRows: 2 },
    });
    const first = await ended(base, "INITIAL", "SUCCEEDED");
    assert.equal(first.counts.resources.user, 5);

    // --init-db seeds with ON CONFLICT DO NOTHING, so it would put deleted users back: from now
    // on the connector runs without it.
    const updated = await server.call("POST", base, {
      body: {
        connector: { config: { "@type": BATON_CONFIG, command: BATON_DEMO, args, env: {} } },
        updateMask: "config",
      },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(((await get(base)).connectorView.connector as Json).config.args, args);

    // Everybody but Alice leaves the upstream (their passwords first: a foreign key).
    const db = new Database(upstream);
    db.prepare("DELETE FROM passwords WHERE user_id <> ?").run(ALICE);
    assert.equal(db.prepare("DELETE FROM users WHERE id <> ?").run(ALICE).changes, 4);
    db.close();

    assert.equal((await server.call("POST", `${base}/force_sync`)).status, 200);
    const held = await ended(base, "FORCE", "ERRORED_NO_DATA");
    assert.equal(held.error, "user: 5 → 1 (-80.0%)");
    assert.equal(held.counts.resources.user, 1);
    const connector = (await get(base)).connectorView.connector as Json;
    assert.equal(connector.status.status, "SYNC_STATUS_ERROR");
    assert.match(connector.status.lastError, /user: 5 → 1 \(-80\.0%\)/);
    assert.equal(connector.syncDisabledCategory, "DATA_DROP");

    // The applied inventory is still the first sync's; the held one can be looked at.
    const applied = await get(`${base}/inventory/resources?resource_type_id=user&page_size=100`);
    assert.equal(applied.syncId, first.id);
    assert.equal((applied.list as Json[]).length, 5);
    const pending = await get(
      `${base}/inventory/resources?resource_type_id=user&sync_id=${held.id}&page_size=100`,
    );
    assert.deepEqual(
      (pending.list as Json[]).map((r) => r.displayName),
      ["Alice"],
    );

    assert.equal((await server.call("POST", `${base}/confirm_sync_valid/${held.id}`)).status, 200);
    assert.equal(
      ((await get(`${base}/syncs/${held.id}`)).syncLifecycle as Json).state,
      "CONFIRMED",
    );
    const confirmed = (await get(base)).connectorView.connector as Json;
    assert.equal(confirmed.syncDisabledCategory ?? "", "");
    const now = await get(`${base}/inventory/resources?resource_type_id=user&page_size=100`);
    assert.deepEqual(
      (now.list as Json[]).map((r) => r.displayName),
      ["Alice"],
    );
    // The follow-up sync compares with the confirmed one: no drop any more.
    const followUp = await ended(base, "CONFIRM", "SUCCEEDED");
    assert.equal(followUp.counts.resources.user, 1);
  });

  it("c. a flag the connector does not know fails the sync with its stderr ('unknown flag')", async () => {
    // --storage-engine arrived in baton-sdk v0.13.5; this connector's SDK is v0.2.51.
    const { base } = await batonConnector("bad-flag", [
      "--db-file",
      join(dir, "bad-flag.db"),
      "--storage-engine",
      "sqlite",
    ]);
    const failed = await firstOutcome(base);
    assert.equal(failed.attempt, 1);
    assert.match(failed.error, /unknown flag: --storage-engine/);
    const connector = (await get(base)).connectorView.connector as Json;
    assert.match(connector.status.lastError ?? "", /unknown flag: --storage-engine/);
    assert.equal((await server.call("DELETE", base, { body: {} })).status, 200);
  });

  // The real connector's usage errors (see "Behaviour of the real baton-demo" in
  // test/interop/README.md): baton-sdk v0.2.51 prints cobra's error without "Error: ".
  it("c. ... and ends ERRORED at once, without a retry: a command-line mistake needs a config fix", async () => {
    const { base } = await batonConnector("retried", [
      "--db-file",
      join(dir, "retried.db"),
      "--storage-engine",
      "sqlite",
    ]);
    try {
      const failed = await firstOutcome(base);
      assert.equal(failed.state, "ERRORED", failed.error);
      assert.match(failed.error, /refused its command line \(exit 1\)/);
    } finally {
      assert.equal((await server.call("DELETE", base, { body: {} })).status, 200);
    }
  });

  // syncplane's --file goes before config.args, so a bad last flag is not given it as a value.
  it("c. ... and names an unknown flag that ends the args (no value after it)", async () => {
    const { base } = await batonConnector("bogus", ["--db-file", join(dir, "bogus.db"), "--bogus"]);
    try {
      const failed = await firstOutcome(base);
      assert.match(failed.error, /unknown flag: --bogus/);
    } finally {
      assert.equal((await server.call("DELETE", base, { body: {} })).status, 200);
    }
  });

  it("d. never passes the server's BATON_CLIENT_ID to the connector; the config's env reaches it", async () => {
    const upstream = seedUpstream("env");
    process.env.BATON_CLIENT_ID = "leaked@127.0.0.1/should-not-reach";
    try {
      // Seen by the connector, the variable would make it refuse to start ("if any flags in the
      // group [client-id client-secret] are set they must all be set") or switch to service mode.
      const { base } = await batonConnector("env", [], { env: { BATON_DB_FILE: upstream } });
      const sync = await firstOutcome(base);
      assert.equal(sync.state, "SUCCEEDED", sync.error);
      assert.equal(sync.counts.resources.user, 5);
    } finally {
      delete process.env.BATON_CLIENT_ID;
    }
  });

  it("e. grants and revokes one-shot against the applied c1z, held while paused and released in order", async () => {
    const upstream = seedUpstream("provisioning");
    const { base } = await batonConnector("provisioning", ["--db-file", upstream]);
    assert.equal((await firstOutcome(base)).state, "SUCCEEDED");
    // pkg/client/data.go at 6090134: Editor is assigned to Frank directly and to the Engineers
    // (Alice, Bob, Carol); Dan is in Sales only. Only direct assignments can be revoked.
    const DAN = "2IC0Wn7DaxV1xqDpdg7jJRiPtCp";
    const FRANK = "2IC0WoaHVvl2GIQppXQH0flK1yJ";
    const EDITOR = "role:2IC0WmaHecJdzo5jYnQiTh2BVlB:assignment";
    const SALES = "group:2IC0WjepYDBsRp6b7cqrumGsVGt:member"; // Alice is not a member
    const user = (id: string) => ({ resourceTypeId: "user", resourceId: id });

    assert.equal((await server.call("POST", `${base}/pause`)).status, 200);
    const requests: [string, Json][] = [
      ["grant", { entitlementId: EDITOR, principal: user(DAN), note: "first" }],
      ["grant", { entitlementId: SALES, principal: user(ALICE), note: "second" }],
      ["revoke", { grantId: `${EDITOR}:user:${FRANK}`, note: "third" }],
    ];
    const ids: string[] = [];
    for (const [kind, body] of requests) {
      const created = await server.call("POST", `${base}/provisioning/${kind}`, { body });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const task = created.body.task as Json;
      assert.equal(task.state, "HELD");
      assert.deepEqual(task.heldBy, ["PAUSED"]);
      ids.push(task.id);
    }
    // Held means held: nothing runs while paused.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of ids) {
      assert.equal(((await get(`${base}/provisioning/${id}`)).task as Json).state, "HELD");
    }

    assert.equal((await server.call("POST", `${base}/resume`)).status, 200);
    const done: Json[] = [];
    for (const id of ids) {
      done.push(
        await until(`task ${id} to end`, async () => {
          const task = (await get(`${base}/provisioning/${id}`)).task as Json;
          return ["SUCCEEDED", "FAILED"].includes(task.state) ? task : null;
        }),
      );
    }
    for (const task of done) assert.equal(task.state, "SUCCEEDED", task.error);
    const started = done.map((task) => Date.parse(task.startedAt));
    assert.deepEqual(started, [...started].sort(), "released in creation order");
    const resumed = await until("the RESUME sync", async () => {
      const list = (await get(`${base}/syncs`)).list as Json[];
      return list.find((s) => s.trigger === "RESUME" && s.state === "SUCCEEDED") ?? null;
    });
    assert.ok(Date.parse(resumed.startedAt) >= Date.parse(done[2]?.finishedAt), "sync after tasks");
    const grants = (await listAll(base, "grants")).map((g) => g.id as string);
    assert.ok(grants.includes(`${EDITOR}:user:${DAN}`), "the role grant shows");
    assert.ok(grants.includes(`${SALES}:user:${ALICE}`), "the membership shows");
    assert.ok(!grants.includes(`${EDITOR}:user:${FRANK}`), "the revoked grant is gone");
    const log = (await get(`${base}/provisioning/${ids[0]}/log`)).lines as Json[];
    assert.ok(log.some((line) => line.stream === "stderr" || line.stream === "stdout"));
    assert.ok(log.some((line) => /GRANT succeeded/.test(line.message)));

    // The connector's refusal is the task's error: baton-demo grants memberships to users only.
    const refused = await server.call("POST", `${base}/provisioning/grant`, {
      body: {
        entitlementId: SALES,
        principal: { resourceTypeId: "group", resourceId: "2IC0WmAPkihbFdZhEPsch5N5WNO" },
      },
    });
    const failed = await until("the refused grant to end", async () => {
      const task = (await get(`${base}/provisioning/${(refused.body.task as Json).id}`))
        .task as Json;
      return ["SUCCEEDED", "FAILED"].includes(task.state) ? task : null;
    });
    assert.equal(failed.state, "FAILED");
    assert.match(failed.error, /only users can have group memberships granted/);
  });
});
