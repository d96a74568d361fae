// Three syncplane processes (api, scheduler and worker each) on one real PostgreSQL, driven over
// HTTP, with the faults a multi-node deployment meets (issue 10, §4; CI-sized versions of R1, R2
// and R5 — `npm run bench:multinode` runs this file at the full sizes, bench/multinode):
// - R2: concurrent ForceSync calls spread over the three APIs leave exactly one queued sync;
// - a schedule that falls due on three schedulers queues one sync;
// - R1: nodes killed with SIGKILL and started again while syncs and grants run: every sync ends
//   in exactly one terminal state, a connector never runs two syncs at once, every acknowledged
//   ForceSync is answered by a sync that started after it, every acknowledged grant ends and
//   none ran twice;
// - R5: PostgreSQL restarted (fast shutdown) under load: the nodes go on without being restarted,
//   answer 200 or 503 meanwhile (never 500, never a crash), and every acknowledged command is
//   there afterwards.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { Cluster, type ClusterNode, type Json } from "../helpers/cluster.js";
import { writeDirectory } from "../helpers/inventory.js";
import { freshDatabaseUrl, restartPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";
import { PROCESS_LIMIT_MS, until } from "../helpers/wait.js";

const FILE_CONFIG = "type.googleapis.com/syncplane.v1.FileConnectorConfig";
// CI sizes; `npm run bench:multinode` runs the same file at the full sizes.
const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONNECTORS = size("MULTINODE_CONNECTORS", 12);
const R2_CALLS = size("MULTINODE_R2_CALLS", 300);
/** R1 goes on until this many syncs were created and this many nodes were killed. */
const R1_SYNCS = size("MULTINODE_R1_SYNCS", 0);
const R1_KILLS = size("MULTINODE_R1_KILLS", 4);
/** Users per connector's file; the first GRANTED are in group g1, the rest can be granted. */
const USERS = 120;
const GRANTED = 2;
const TERMINAL = ["SUCCEEDED", "ERRORED", "ERRORED_NO_DATA", "CONFIRMED", "SUPERSEDED", "CANCELED"];

interface Connector {
  readonly id: string;
  readonly base: string;
}

let url: string;
let store: Store;
/** The test's own view of the database (a pool: it outlives a PostgreSQL restart). */
let db: pg.Pool;
let cluster: Cluster;
const connectors: Connector[] = [];
let appId: string;
/** The next user of each connector's file to grant g1 to. */
const nextUser = new Map<string, number>();

/** The messages of every 503 answer (they must not name the database's address). */
const unavailableMessages = new Set<string>();

/** Calls a running node did not answer (connection errors other than a node going away). */
const unanswered: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

async function sql(text: string, params: unknown[] = []): Promise<Json[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await db.query(text, params)).rows as Json[];
    } catch (error) {
      // A pooled connection the restart ended: the pool drops it; ask again.
      if (attempt >= 5) throw error;
      await sleep(200);
    }
  }
}

/** A call to a live node at random; null when that node went away under the call. */
async function tryCall(method: string, path: string, body?: unknown) {
  let node: ClusterNode;
  try {
    node = cluster.anyLive();
  } catch {
    return null;
  }
  try {
    const result = await cluster.call(node, method, path, body);
    if (result.status === 503) unavailableMessages.add(String(result.body.message));
    return result;
  } catch (error) {
    if (node.alive) {
      const cause = (error as { cause?: unknown }).cause;
      unanswered.push(
        `${method} ${path} on node ${node.index}: ${String(error)} (${String(cause)})`,
      );
    }
    return null;
  }
}

/** Waits until no sync is queued or running and no task is open. */
async function settled(what: string): Promise<void> {
  await until(
    what,
    async () => {
      // The file connectors' (the service-mode one of R2 keeps its queued sync).
      const ids = connectors.map((connector) => connector.id);
      const [row] = await sql(
        `SELECT (SELECT count(*) FROM sync_lifecycles
                 WHERE state IN ('QUEUED', 'RUNNING') AND connector_id = ANY($1::text[]))::int AS syncs,
                (SELECT count(*) FROM provisioning_tasks
                 WHERE state IN ('QUEUED', 'HELD', 'RUNNING') AND connector_id = ANY($1::text[]))::int
                 AS tasks`,
        [ids],
      );
      return row?.syncs === 0 && row.tasks === 0;
    },
    150_000,
    200,
  );
}

/** Every sync's history ends in exactly one terminal state; no connector ran two at once. */
async function assertHistoryConsistent(): Promise<{ syncs: number }> {
  const events = await sql(
    `SELECT e.sync_id, s.connector_id, e.seq, e.at, e.state
     FROM sync_events e JOIN sync_lifecycles s ON s.id = e.sync_id
     WHERE s.connector_id = ANY($1::text[])
     ORDER BY e.sync_id, e.seq`,
    [connectors.map((connector) => connector.id)],
  );
  const bySync = new Map<string, Json[]>();
  for (const event of events) {
    const list = bySync.get(event.sync_id as string) ?? [];
    list.push(event);
    bySync.set(event.sync_id as string, list);
  }
  const running = new Map<string, { start: number; end: number; sync: string }[]>();
  for (const [syncId, list] of bySync) {
    const terminal = list.filter((event) => TERMINAL.includes(event.state as string));
    // CONFIRMED/SUPERSEDED may follow a held sync; none of these connectors drops data.
    assert.equal(terminal.length, 1, `sync ${syncId}: ${list.map((e) => e.state).join(" → ")}`);
    assert.ok(TERMINAL.includes(list.at(-1)?.state as string), `sync ${syncId} ends terminal`);
    list.forEach((event, i) => {
      if (event.state !== "RUNNING") return;
      const next = list[i + 1];
      const intervals = running.get(event.connector_id as string) ?? [];
      intervals.push({
        start: Number(event.at),
        end: next ? Number(next.at) : Number.MAX_SAFE_INTEGER,
        sync: syncId,
      });
      running.set(event.connector_id as string, intervals);
    });
  }
  for (const [connectorId, intervals] of running) {
    intervals.sort((a, b) => a.start - b.start);
    for (let i = 1; i < intervals.length; i++) {
      const before = intervals[i - 1] as { end: number; sync: string };
      const current = intervals[i] as { start: number; sync: string };
      assert.ok(
        current.start >= before.end,
        `connector ${connectorId} ran ${before.sync} and ${current.sync} at once`,
      );
    }
  }
  return { syncs: bySync.size };
}

/** Every acknowledged ForceSync (sent at `sentAt`) was answered by a sync started after it. */
async function assertForcesServed(acks: readonly { connectorId: string; sentAt: number }[]) {
  const starts = await sql(
    `SELECT s.connector_id, max(e.at) AS last_start FROM sync_events e
     JOIN sync_lifecycles s ON s.id = e.sync_id
     WHERE e.state = 'RUNNING' GROUP BY s.connector_id`,
  );
  const lastStart = new Map(
    starts.map((row) => [row.connector_id as string, Number(row.last_start)]),
  );
  for (const ack of acks) {
    assert.ok(
      (lastStart.get(ack.connectorId) ?? 0) >= ack.sentAt,
      `a ForceSync of ${ack.connectorId} acknowledged at ${ack.sentAt} had no sync after it`,
    );
  }
}

/** Every acknowledged grant ended, SUCCEEDED without "already exists" (it ran once) or FAILED as outcome unknown. */
async function assertGrantsEnded(taskIds: readonly string[]): Promise<Record<string, number>> {
  const rows = await sql(
    "SELECT id, state, result, error FROM provisioning_tasks WHERE id = ANY($1::text[])",
    [taskIds],
  );
  assert.equal(rows.length, taskIds.length, "every acknowledged grant is stored");
  const states: Record<string, number> = {};
  for (const row of rows) {
    states[row.state as string] = (states[row.state as string] ?? 0) + 1;
    if (row.state === "SUCCEEDED") {
      assert.equal(row.result, "", `task ${row.id} ran twice: ${row.result as string}`);
    } else {
      assert.equal(row.state, "FAILED", `task ${row.id} ended ${row.state as string}`);
      assert.match(
        row.error as string,
        /outcome unknown/,
        `task ${row.id}: ${row.error as string}`,
      );
    }
  }
  return states;
}

/**
 * Asks for g1 for the connector's next user; the answer's status (null: no answer; absent:
 * nothing was asked, every user has it).
 */
async function requestGrant(
  connector: Connector,
): Promise<{ status?: number | null; taskId: string | null }> {
  const user = nextUser.get(connector.id) ?? GRANTED;
  if (user >= USERS) return { taskId: null }; // every user has it: nothing asked
  nextUser.set(connector.id, user + 1);
  const result = await tryCall("POST", `${connector.base}/provisioning/grant`, {
    entitlementId: "group:g1:member",
    principal: { resourceTypeId: "user", resourceId: `u${user}` },
  });
  if (result?.status === 200) {
    return { status: 200, taskId: (result.body.task as Json).id as string };
  }
  // Not acknowledged: it may or may not exist (a 503 can come after the commit), so this user
  // is not asked for again: a second request would rightly be answered "already exists".
  return { status: result?.status ?? null, taskId: null };
}

before(async () => {
  url = await freshDatabaseUrl();
  store = await PostgresStore.open(url);
  db = new pg.Pool({ connectionString: url, max: 2 });
  db.on("error", () => undefined);
  cluster = await Cluster.start(url, store, 3, [
    "--roles",
    "api,scheduler,worker",
    "--worker-lease-seconds",
    "3",
    "--log-level",
    process.env.MULTINODE_LOG_LEVEL ?? "warn",
  ]);
  const dir = tempDir("syncplane-multinode-");
  appId = ((await cluster.ok("POST", "/api/v1/apps", { displayName: "multinode" })).app as Json)
    .id as string;
  for (let i = 0; i < CONNECTORS; i++) {
    const path = join(dir, `c${i}.json`);
    writeDirectory(path, USERS, GRANTED);
    const created = await cluster.ok("POST", `/api/v1/apps/${appId}/connectors/create`, {
      catalogId: "file",
      displayName: `c${i}`,
      config: { "@type": FILE_CONFIG, path },
    });
    const id = ((created.connectorView as Json).connector as Json).id as string;
    connectors.push({ id, base: `/api/v1/apps/${appId}/connectors/${id}` });
  }
  await settled("the initial syncs");
});

after(async () => {
  cluster?.killAll();
  await db?.end().catch(() => undefined);
  await store?.close();
});

describe("three nodes on one PostgreSQL", () => {
  it("one admin credential was issued on first start, by one node", async () => {
    const rows = await sql("SELECT created_by FROM credentials WHERE role = 'admin'");
    assert.deepEqual(rows.map((row) => row.created_by).sort(), ["system:first-start", "test"]);
  });

  it("credentials create --database-url works offline, and the credential works on every node", async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          "--import",
          import.meta.resolve("tsx"),
          join(import.meta.dirname, "../../src/cli/main.ts"),
          "credentials",
          "create",
          "--role",
          "viewer",
          "--name",
          "offline",
          "--database-url",
          url,
          "--json",
        ],
        { env: { PATH: process.env.PATH ?? "" }, timeout: PROCESS_LIMIT_MS },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(run.code, 0, run.stderr);
    const issued = JSON.parse(run.stdout) as { clientId: string; clientSecret: string };
    // Named after the address the nodes started with (the public URL they stored).
    assert.match(issued.clientId, /^offline-[0-9a-f]+@127\.0\.0\.1:\d+\//);
    for (const node of cluster.nodes) {
      const response = await fetch(`${node.url}/auth/v1/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: issued.clientId,
          client_secret: issued.clientSecret,
        }),
      });
      const token = ((await response.json()) as { access_token: string }).access_token;
      const apps = await fetch(`${node.url}/api/v1/apps`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(apps.status, 200, `node ${node.index}`);
    }
  });

  it("R2: concurrent ForceSync calls over the three APIs leave exactly one queued sync", async () => {
    // A service-mode connector: no local worker takes its syncs, so what is queued stays queued.
    const created = await cluster.ok("POST", `/api/v1/apps/${appId}/connectors/create`, {
      catalogId: "baton-service",
      displayName: "r2",
    });
    const id = ((created.connectorView as Json).connector as Json).id as string;
    await store.transaction((tx) =>
      tx.cancelQueuedSyncs(id, "test: start from nothing", Date.now()),
    );
    const calls = R2_CALLS;
    const results = await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        cluster.call(
          cluster.node(i % 3),
          "POST",
          `/api/v1/apps/${appId}/connectors/${id}/force_sync`,
          {},
        ),
      ),
    );
    assert.deepEqual(
      results.filter((result) => result.status !== 200),
      [],
      "every ForceSync is acknowledged",
    );
    const [row] = await sql(
      `SELECT count(*) FILTER (WHERE state = 'QUEUED')::int AS queued,
              count(*) FILTER (WHERE trigger = 'FORCE')::int AS forced
       FROM sync_lifecycles WHERE connector_id = $1`,
      [id],
    );
    assert.deepEqual(row, { queued: 1, forced: 1 });
  });

  it("a schedule due on three schedulers queues one sync", async () => {
    const due = connectors.slice(0, 6);
    for (const connector of due) {
      await cluster.ok("POST", `${connector.base}/schedule`, {
        cron: { cronSpec: "0 0 1 1 *", timezone: "UTC" },
      });
    }
    const fireAt = Date.now() + 1500;
    await sql("UPDATE schedules SET next_fire_at = $1 WHERE connector_id = ANY($2::text[])", [
      fireAt,
      due.map((c) => c.id),
    ]);
    await until("every schedule to fire", async () => {
      const [row] = await sql(
        "SELECT count(*)::int AS n FROM schedules WHERE connector_id = ANY($1::text[]) AND next_fire_at > $2",
        [due.map((c) => c.id), fireAt],
      );
      return row?.n === due.length;
    });
    await settled("the scheduled syncs");
    const counts = await sql(
      `SELECT connector_id, count(*)::int AS n FROM sync_lifecycles
       WHERE trigger = 'SCHEDULE' AND connector_id = ANY($1::text[]) GROUP BY connector_id`,
      [due.map((c) => c.id)],
    );
    assert.equal(counts.length, due.length, "every connector fired");
    for (const row of counts) assert.equal(row.n, 1, `connector ${row.connector_id as string}`);
  });

  it("R1: nodes killed with SIGKILL and restarted: nothing lost, nothing twice", async () => {
    const forces: { connectorId: string; sentAt: number }[] = [];
    const grants: string[] = [];
    const [before] = await sql("SELECT count(*)::int AS n FROM sync_lifecycles");
    let kills = 0;
    let stop = false;
    const killer = (async () => {
      while (!stop) {
        await sleep(2000);
        if (stop) break;
        const victim = pick(cluster.nodes.filter((node) => node.alive));
        await victim.kill();
        kills++;
        await sleep(300);
        await victim.start();
      }
    })();
    const load = async () => {
      while (!stop) {
        const connector = pick(connectors);
        if (Math.random() < 0.25) {
          const { taskId } = await requestGrant(connector);
          if (taskId) grants.push(taskId);
        } else {
          const sentAt = Date.now();
          const result = await tryCall("POST", `${connector.base}/force_sync`, {});
          if (result?.status === 200) forces.push({ connectorId: connector.id, sentAt });
        }
        await sleep(20);
      }
    };
    const loaders = [load(), load(), load()];
    // At least 15 s, R1_KILLS kills (a restart takes a few seconds on a loaded machine) and
    // R1_SYNCS syncs created.
    const began = Date.now();
    await until(
      `${R1_KILLS} kills and ${R1_SYNCS} syncs`,
      async () => {
        if (Date.now() - began < 15_000 || kills < R1_KILLS) return false;
        const [now] = await sql("SELECT count(*)::int AS n FROM sync_lifecycles");
        return (now?.n as number) - (before?.n as number) >= R1_SYNCS;
      },
      R1_SYNCS > 0 ? 900_000 : 120_000,
      500,
    );
    stop = true;
    await Promise.all([killer, ...loaders]);
    for (const node of cluster.nodes) if (!node.alive) await node.start();
    await settled("every sync and task to end after the kills");

    const { syncs } = await assertHistoryConsistent();
    await assertForcesServed(forces);
    const states = await assertGrantsEnded(grants);
    const [afterRow] = await sql("SELECT count(*)::int AS n FROM sync_lifecycles");
    assert.ok(kills >= R1_KILLS, `${kills} kills`);
    assert.ok(
      forces.length > 50 && grants.length > 10,
      `${forces.length} forces, ${grants.length} grants`,
    );
    console.log(
      `R1: ${kills} SIGKILLs, ${forces.length} ForceSyncs and ${grants.length} grants acknowledged, ` +
        `${(afterRow?.n as number) - (before?.n as number)} syncs created (${syncs} in all, every one ended once), ` +
        `grants ${JSON.stringify(states)}`,
    );
  });

  it("R5: PostgreSQL restarted under load: the nodes recover by themselves, nothing acknowledged lost", async () => {
    const pids = cluster.nodes.map((node) => node.child?.pid);
    unanswered.length = 0;
    const forces: { connectorId: string; sentAt: number }[] = [];
    const grants: string[] = [];
    const pauses = new Map<string, number>();
    const statuses: Record<number, number> = {};
    let stop = false;
    const known = new Map(connectors.map((c) => [c.id, "running" as string]));
    const load = async (loader: number) => {
      while (!stop) {
        const connector = pick(connectors);
        const roll = Math.random();
        const seen: (number | null)[] = [];
        if (roll < 0.2) {
          const { status, taskId } = await requestGrant(connector);
          if (taskId) grants.push(taskId);
          if (status !== undefined) seen.push(status);
        } else if (roll < 0.35) {
          // Each loader pauses and resumes its own third of the connectors, so that it knows
          // their state: a pause acknowledged on a running connector must leave an audit event
          // (a pause of a paused one changes nothing and writes nothing).
          const own = pick(connectors.filter((_, i) => i % 3 === loader));
          const paused = await tryCall("POST", `${own.base}/pause`, {});
          if (paused?.status === 200 && known.get(own.id) === "running") {
            pauses.set(own.id, (pauses.get(own.id) ?? 0) + 1);
          }
          known.set(own.id, paused?.status === 200 ? "paused" : "unknown");
          const resumed = await tryCall("POST", `${own.base}/resume`, {});
          known.set(own.id, resumed?.status === 200 ? "running" : "unknown");
          seen.push(paused?.status ?? null, resumed?.status ?? null);
        } else {
          const sentAt = Date.now();
          const result = await tryCall("POST", `${connector.base}/force_sync`, {});
          // A ForceSync while a 503 left the connector paused is refused (9): not a fault.
          if (result?.status === 200) forces.push({ connectorId: connector.id, sentAt });
          seen.push(result?.status ?? null);
        }
        for (const status of seen) {
          const key = status ?? -1; // -1: no answer at all (a node went away)
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
        await sleep(10);
      }
    };
    const loaders = [load(0), load(1), load(2)];
    await sleep(3000);
    const restartedAt = Date.now();
    await restartPostgres(1500);
    const downMs = Date.now() - restartedAt;
    await sleep(5000);
    stop = true;
    await Promise.all(loaders);

    assert.deepEqual(
      cluster.nodes.map((node) => [node.alive, node.child?.pid]),
      pids.map((pid) => [true, pid]),
      "no node crashed or was restarted",
    );
    assert.deepEqual(unanswered, [], "every running node answered");
    // 200, or 503 while the database is away; 400 (FAILED_PRECONDITION) is a ForceSync or a
    // grant meeting a pause whose resume got a 503. Never a 500, never no answer.
    assert.deepEqual(
      Object.keys(statuses).filter((status) => !["200", "503", "400"].includes(status)),
      [],
      `only 200, 400 and 503: ${JSON.stringify(statuses)}`,
    );
    for (const message of unavailableMessages) {
      assert.doesNotMatch(message, /ECONN|127\.0\.0\.1|\(\d{2}P\d{2}\)/, "no internals in answers");
    }
    // Every node serves again (the first calls after the restart may still be 503).
    for (const node of cluster.nodes) {
      await until(`node ${node.index} to answer again`, async () => {
        const result = await cluster.call(node, "GET", `/api/v1/apps/${appId}`);
        return result.status === 200;
      });
    }
    // Resume whatever a 503 left paused, then let the queue drain.
    for (const connector of connectors) await cluster.ok("POST", `${connector.base}/resume`, {});
    await settled("every sync and task to end after the restart");
    await assertHistoryConsistent();
    await assertForcesServed(forces);
    await assertGrantsEnded(grants);
    for (const [connectorId, acked] of pauses) {
      const [row] = await sql(
        "SELECT count(*)::int AS n FROM audit_events WHERE action = 'connector.pause' AND object_id = $1",
        [connectorId],
      );
      assert.ok(
        (row?.n as number) >= acked,
        `connector ${connectorId}: ${acked} pauses acknowledged`,
      );
    }
    console.log(
      `R5: PostgreSQL down ${downMs} ms; responses ${JSON.stringify(statuses)}; ` +
        `${forces.length} ForceSyncs, ${grants.length} grants, ` +
        `${[...pauses.values()].reduce((a, b) => a + b, 0)} pauses acknowledged and all there`,
    );
  });
});
