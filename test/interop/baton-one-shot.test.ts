// A baton connector binary under syncplane, end to end over HTTP with the scheduler and workers
// running: its seeded data syncs and can be browsed and downloaded; a collapse of its upstream
// is held in ERRORED_NO_DATA until ConfirmSyncValid; a bad command line ends ERRORED with the
// connector's own stderr. The connector is FAKE-baton-demo (see test/helpers/baton.ts for why).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { FAKE_BATON_DEMO, interopBinary } from "../helpers/baton.js";
import { readC1zDatabase } from "../helpers/c1z.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { STUCK_MS, until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BATON_CONFIG = "type.googleapis.com/syncplane.v1.BatonConnectorConfig";

describe("baton one-shot connectors", interopBinary(FAKE_BATON_DEMO), () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    dir = tempDir("syncplane-baton-");
    server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
  });
  after(async () => {
    await server.stop();
  });

  /** A demo upstream database seeded with `users` users (the connector's --init-db). */
  function seedUpstream(name: string, users = 25): string {
    const db = join(dir, `${name}.db`);
    execFileSync(
      FAKE_BATON_DEMO,
      ["--db-file", db, "--init-db", "--users", String(users), "-f", join(dir, `${name}-seed.c1z`)],
      { stdio: "ignore" },
    );
    return db;
  }

  async function batonConnector(name: string, args: string[], env: Record<string, string> = {}) {
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: name } });
    const appId = (app.body.app as Json).id as string;
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "baton",
        displayName: name,
        config: { "@type": BATON_CONFIG, command: FAKE_BATON_DEMO, args, env },
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
  const ended = (base: string, trigger: string, state: string) =>
    until(
      `a ${trigger} sync in ${state}`,
      async () => {
        const sync = ((await get(`${base}/syncs?page_size=1`)).list as Json[])[0];
        return sync?.trigger === trigger && sync.state === state ? sync : null;
      },
      STUCK_MS,
    );

  it("syncs the connector's data; counts match the c1z; inventory, log and download work", async () => {
    const upstream = seedUpstream("directory");
    const { base } = await batonConnector("directory", ["--db-file", upstream]);
    const sync = await ended(base, "INITIAL", "SUCCEEDED");
    assert.deepEqual(sync.counts.resources, { group: 2, project: 2, role: 2, user: 25 });
    assert.equal(sync.counts.entitlements, 6);
    assert.equal(sync.counts.grants, 50);
    const connector = (await get(base)).connectorView.connector as Json;
    assert.equal(connector.status.status, "SYNC_STATUS_DONE");

    // The c1z, downloaded through the signed URL, holds exactly what was counted.
    const { downloadUrl } = await get(`${base}/syncs/${sync.id}/download_url`);
    assert.match(
      downloadUrl,
      new RegExp(`^${server.url}/downloads/syncs/${sync.id}/sync\\.c1z\\?`),
    );
    const download = await fetch(downloadUrl);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get("content-type"), "application/octet-stream");
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString("latin1"), "C1ZF\0");
    const c1zPath = join(dir, "downloaded.c1z");
    writeFileSync(c1zPath, bytes);
    const db = new Database(await readC1zDatabase(c1zPath), { readonly: true });
    const perType = Object.fromEntries(
      (
        db
          .prepare("SELECT resource_type_id AS t, count(*) AS n FROM v1_resources GROUP BY 1")
          .all() as { t: string; n: number }[]
      ).map((row) => [row.t, row.n]),
    );
    assert.deepEqual(perType, sync.counts.resources);
    assert.equal(db.prepare("SELECT count(*) FROM v1_grants").pluck().get(), sync.counts.grants);
    db.close();

    const tampered = downloadUrl.replace(/signature=[^&]+/, "signature=AAAA");
    const refused = await fetch(tampered);
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as Json).message, /signature is not valid/);
    const otherSync = downloadUrl.replace(
      `/syncs/${sync.id}/`,
      "/syncs/2ZZZZZZZZZZZZZZZZZZZZZZZZZZ/",
    );
    assert.equal((await fetch(otherSync)).status, 403);

    // Browsing the applied inventory.
    const types = await get(`${base}/inventory/resource_types`);
    assert.equal(types.syncId, sync.id);
    assert.deepEqual(
      (types.list as Json[]).map((t) => [t.id, t.traits ?? []]),
      [
        ["group", ["GROUP"]],
        ["project", []],
        ["role", ["ROLE"]],
        ["user", ["USER"]],
      ],
    );
    const seen: string[] = [];
    let token = "";
    do {
      const page = await get(
        `${base}/inventory/resources?resource_type_id=user&page_size=10${token ? `&page_token=${token}` : ""}`,
      );
      seen.push(...(page.list as Json[]).map((r) => r.displayName as string));
      token = page.nextPageToken ?? "";
    } while (token);
    assert.equal(seen.length, 25);
    assert.deepEqual(seen.slice(0, 5), ["Alice", "Bob", "Carol", "Dan", "Frank"]);
    const alice = await get(
      `${base}/inventory/grants?principal_resource_type_id=user&principal_resource_id=user-0000000`,
    );
    assert.equal((alice.list as Json[]).length, 2);
    const members = await get(
      `${base}/inventory/grants?entitlement_id=${encodeURIComponent("group:group-engineers:member")}`,
    );
    assert.ok((members.list as Json[]).length > 0);
    const groupEntitlements = await get(`${base}/inventory/entitlements?resource_type_id=group`);
    assert.deepEqual(
      (groupEntitlements.list as Json[]).map((e) => e.slug),
      ["member", "member"],
    );

    // The connector's output is the sync's log.
    const log = await get(`${base}/syncs/${sync.id}/log`);
    const messages = (log.lines as Json[]).map((l) => l.message as string);
    assert.ok(messages.includes("Sync complete"), messages.join("\n"));
    assert.ok(messages.some((m) => /attempt 1 ended SUCCEEDED/.test(m)));
  });

  it("holds a collapse of the upstream in ERRORED_NO_DATA until ConfirmSyncValid applies it", async () => {
    const upstream = seedUpstream("collapse");
    const { base } = await batonConnector("collapse", ["--db-file", upstream]);
    const first = await ended(base, "INITIAL", "SUCCEEDED");

    const db = new Database(upstream);
    db.prepare(
      "DELETE FROM users WHERE id NOT IN ('user-0000000','user-0000001','user-0000002','user-0000003','user-0000004')",
    ).run();
    db.close();
    assert.equal((await server.call("POST", `${base}/force_sync`)).status, 200);
    const held = await ended(base, "FORCE", "ERRORED_NO_DATA");
    assert.equal(held.error, "user: 25 → 5 (-80.0%)");
    const connector = (await get(base)).connectorView.connector as Json;
    assert.equal(connector.status.status, "SYNC_STATUS_ERROR");
    assert.equal(connector.syncDisabledCategory, "DATA_DROP");

    // The applied inventory is still the first sync's; the held one can be looked at.
    const applied = await get(`${base}/inventory/resources?resource_type_id=user&page_size=100`);
    assert.equal(applied.syncId, first.id);
    assert.equal((applied.list as Json[]).length, 25);
    const pending = await get(
      `${base}/inventory/resources?resource_type_id=user&sync_id=${held.id}&page_size=100`,
    );
    assert.equal((pending.list as Json[]).length, 5);

    assert.equal((await server.call("POST", `${base}/confirm_sync_valid/${held.id}`)).status, 200);
    await ended(base, "CONFIRM", "SUCCEEDED");
    const now = await get(`${base}/inventory/resources?resource_type_id=user&page_size=100`);
    assert.equal((now.list as Json[]).length, 5);
    assert.equal(
      ((await get(`${base}/syncs/${held.id}`)).syncLifecycle as Json).state,
      "CONFIRMED",
    );
  });

  it("ends ERRORED with the connector's stderr when its command line is wrong, without retrying", async () => {
    const upstream = seedUpstream("bad-flag", 3);
    const { base } = await batonConnector("bad-flag", ["--db-file", upstream, "--bogus"]);
    const failed = await ended(base, "INITIAL", "ERRORED");
    assert.equal(failed.attempt, 1);
    assert.match(failed.error, /refused its command line \(exit 1\)/);
    assert.match(failed.error, /Error: unknown flag: --bogus/);
    const connector = (await get(base)).connectorView.connector as Json;
    assert.match(connector.status.lastError, /unknown flag: --bogus/);
  });

  it("reports an exit with a non-retryable gRPC code and a Pebble c1z as clear errors", async () => {
    const upstream = seedUpstream("codes", 3);
    const denied = await batonConnector("denied", [
      "--db-file",
      upstream,
      "--fail-code",
      "16",
      "--fail-message",
      "invalid API key",
    ]);
    const failed = await ended(denied.base, "INITIAL", "ERRORED");
    assert.equal(failed.attempt, 1);
    assert.match(failed.error, /code 16 \(UNAUTHENTICATED\): invalid API key/);

    const pebble = await batonConnector("pebble", [
      "--db-file",
      upstream,
      "--storage-engine",
      "pebble",
    ]);
    const refused = await ended(pebble.base, "INITIAL", "ERRORED");
    assert.match(refused.error, /v3 \(Pebble\) format.*BATON_STORAGE_ENGINE=sqlite/);
  });

  it("never passes the server's environment (BATON_CLIENT_ID) to the connector; config env reaches it", async () => {
    const upstream = seedUpstream("env", 3);
    process.env.BATON_CLIENT_ID = "leaked@127.0.0.1/should-not-reach";
    try {
      // The fake refuses to run when it sees BATON_CLIENT_ID, as a real one would switch modes.
      const { base } = await batonConnector("env", [], { BATON_DB_FILE: upstream });
      const sync = await ended(base, "INITIAL", "SUCCEEDED");
      assert.equal(sync.counts.resources.user, 3);
    } finally {
      delete process.env.BATON_CLIENT_ID;
    }
  });

  it("stops a connector that runs past its timeout (SIGINT) and queues a retry with the reason", async () => {
    const upstream = seedUpstream("slow", 3);
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "slow" } });
    const appId = (app.body.app as Json).id as string;
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "baton",
        config: {
          "@type": BATON_CONFIG,
          command: FAKE_BATON_DEMO,
          args: ["--db-file", upstream, "--delay", "60s"],
          timeoutSeconds: 1,
        },
      },
    });
    const id = ((created.body.connectorView as Json).connector as Json).id as string;
    const base = `/api/v1/apps/${appId}/connectors/${id}`;
    const started = Date.now();
    const retried = await until(
      "the timed-out sync to be queued again",
      async () => {
        const sync = ((await get(`${base}/syncs?page_size=1`)).list as Json[])[0];
        return sync?.state === "QUEUED" && sync.error ? sync : null;
      },
      STUCK_MS,
    );
    assert.equal(retried.error, "the sync ran longer than its 1 s timeout");
    assert.ok(Date.now() - started < 15_000, "stopped long before the connector's 60 s delay");
    const log = await get(`${base}/syncs/${retried.id}/log`);
    const messages = (log.lines as Json[]).map((l) => l.message as string);
    assert.ok(
      messages.some((m) => /sync canceled: context canceled/.test(m)),
      messages.join("\n"),
    );
    assert.ok(messages.some((m) => /attempt 1 failed and will be retried/.test(m)));
    // Nothing runs while the retry waits for its backoff: the connector can be deleted cleanly.
    assert.equal((await server.call("DELETE", base, { body: {} })).status, 200);
  });

  it("exempts resource types the connector marks SkipSyncAnomalyDetection from the guard", async () => {
    const upstream = seedUpstream("exempt");
    const { base } = await batonConnector("exempt", [
      "--db-file",
      upstream,
      "--skip-anomaly-type",
      "user",
    ]);
    await ended(base, "INITIAL", "SUCCEEDED");
    const types = await get(`${base}/inventory/resource_types`);
    assert.equal((types.list as Json[]).find((t) => t.id === "user")?.skipDataDropCheck, true);
    const db = new Database(upstream);
    db.prepare("DELETE FROM users WHERE id > 'user-0000004'").run();
    db.close();
    await server.call("POST", `${base}/force_sync`);
    // The users' drop is exempt; the grants that went with them are still counted.
    const held = await ended(base, "FORCE", "ERRORED_NO_DATA");
    assert.equal(held.error, "grants: 50 → 10 (-80.0%)");
    assert.deepEqual(held.exemptResourceTypeIds, ["user"]);
  });
});
