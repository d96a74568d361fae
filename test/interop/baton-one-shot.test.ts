// FAKE-baton-demo under syncplane, end to end over HTTP with the scheduler and workers running:
// the faults the REAL baton-demo (commit 6090134, baton-sdk v0.2.51) cannot produce. A newer SDK's
// exit with a gRPC code and its Pebble (v3) c1z, a run that outlasts its timeout, cobra's own
// "Error: unknown flag" output, and SkipSyncAnomalyDetection (baton-sdk >= v0.12.5). What the real
// connector can do (its data, the download, the inventory, a data drop, a bad flag, the
// environment) is tested with it in baton-demo.test.ts. test/interop/README.md describes the fake.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { FAKE_BATON_DEMO, interopBinary } from "../helpers/baton.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { STUCK_MS, until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BATON_CONFIG = "type.googleapis.com/syncplane.v1.BatonConnectorConfig";

describe("FAKE-baton-demo: faults only a fake produces", interopBinary(FAKE_BATON_DEMO), () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    dir = tempDir("syncplane-baton-");
    server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
  });
  after(async () => {
    await server.stop();
  });

  /** A FAKE-baton-demo upstream database seeded with `users` users (its --init-db). */
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

  // The fake prints cobra's default "Error: unknown flag: …"; the real baton-demo's SDK (v0.2.51)
  // silences cobra and prints "unknown flag: …" alone, which syncplane retries (baton-demo.test.ts).
  it("ends ERRORED without retrying when stderr shows cobra's 'Error: unknown flag'", async () => {
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
