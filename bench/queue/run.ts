// bench/queue: see README.md beside this file.

import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { Logger, makeWorkerUtils, type WorkerUtils } from "graphile-worker";
import pg from "pg";
import { PostgresArtifacts } from "../../src/artifacts/postgres.js";
import { createApp } from "../../src/commands/apps.js";
import type { Actor } from "../../src/commands/context.js";
import { NEVER_SYNCED, type ConnectorRecord } from "../../src/domain/model.js";
import { newId, systemClock } from "../../src/runtime.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { percentile } from "../lib/stats.js";
import { Cleanup } from "./cleanup.js";
import { freePort, startPostgres, type BenchPostgres } from "./postgres.js";

const ROOT = join(import.meta.dirname, "../..");
const TSX = import.meta.resolve("tsx");
const env = process.env;
const flag = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};

/** Syncs (and graphile-worker jobs) per throughput run. */
const SYNCS = Number(env.BENCH_SYNCS ?? 1000);
/** Syncs (jobs) each worker node runs at once. */
const CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 8);
/** Worker node counts of the throughput runs. */
const NODES = (env.BENCH_NODES ?? "1,3").split(",").map(Number);
/** Throughput runs per system and node count (the summary takes the median). */
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
/** Timed ForceSyncs (addJobs), after LATENCY_WARMUP untimed ones. */
const SAMPLES = Number(env.BENCH_LATENCY_SAMPLES ?? 300);
const LATENCY_WARMUP = 20;
/** One ForceSync (addJob) every … ms, over LATENCY_CONNECTORS connectors in turn. */
const INTERVAL_MS = Number(env.BENCH_LATENCY_INTERVAL_MS ?? 50);
/**
 * At least 20 connectors, and enough that none gets more than 8 ForceSyncs: with its INITIAL
 * sync that makes 9, within the 10 syncs per connector whose logs are kept (the log's first line
 * is read afterwards).
 */
const LATENCY_CONNECTORS = Math.max(20, Math.ceil((LATENCY_WARMUP + SAMPLES) / 8));
/** Worker nodes of the latency phase (besides syncplane's API node), each at concurrency 2. */
const LATENCY_WORKERS = 2;
/** Keep each sync's log through PostgresArtifacts in the throughput nodes, as serve does. */
const SYNC_LOGS = env.BENCH_SYNC_LOGS !== "0";
/**
 * "same": the queued syncs all get the same queue time (one transaction: one clock reading, as
 * a schedule fire or a burst of ForceSyncs within a millisecond gives them); "spread": one
 * millisecond apart (queued over the last SYNCS ms). graphile-worker's jobs are queued alike.
 */
const QUEUED_AT = env.BENCH_QUEUED_AT === "spread" ? "spread" : "same";
/** ANALYZE the database right after queueing (planner statistics that count the queue). */
const ANALYZE = env.BENCH_ANALYZE === "1";
/** The embedded server without durability (fsync etc. off), as in the tests. */
const FAST = env.BENCH_PG_FAST === "1";
/** "throughput" or "latency": only that phase. */
const ONLY = env.BENCH_ONLY ?? "";
const DATABASE_URL = flag("--database-url") ?? env.BENCH_DATABASE_URL;
/**
 * Diagnosis: after each throughput run, the N statements of that run's database that took the
 * most time in PostgreSQL (pg_stat_statements, loaded into the embedded server).
 */
const TOP_STATEMENTS = Number(env.BENCH_TOP_STATEMENTS ?? 0);
/** The whole run is stopped after this long. */
const LIMIT_SECONDS = Number(env.BENCH_LIMIT_SECONDS ?? 1800);
/** Each wait for syncs or jobs gives up after this long. */
const WAIT_LIMIT_MS = 300_000;

const ACTOR: Actor = { name: "bench", requestId: "bench-queue" };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes). */
const wallClock = () => performance.timeOrigin + performance.now();

async function until(what: string, check: () => Promise<boolean> | boolean, limitMs: number) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const quietLogger = new Logger(() => (level, message) => {
  if (level === "error") console.error(`graphile-worker: ${message}`);
});

/**
 * CPU time (user + system, seconds) of process `pid` and of its children it reaped, from /proc
 * (Linux; clock ticks at 100 Hz); 0 when it is gone.
 */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    // utime, stime, cutime, cstime: fields 14–17 of stat(5), here from the state field on.
    return (
      (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100
    );
  } catch {
    return 0;
  }
}

/** CPU seconds of the embedded PostgreSQL: the postmaster, its live backends and reaped ones. */
function postgresCpu(server: BenchPostgres): number {
  if (server.pid === null) return NaN;
  let total = cpuSeconds(server.pid);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const after = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      if (Number(after[1]) === server.pid) total += cpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** CPU seconds the worker nodes and PostgreSQL used between start() and stop(). */
function cpuMeter(server: BenchPostgres, nodes: readonly BenchNode[]) {
  const nodesCpu = () => nodes.reduce((sum, node) => sum + cpuSeconds(node.child.pid ?? 0), 0);
  const before = { nodes: nodesCpu(), postgres: postgresCpu(server) };
  return () => ({
    nodes: nodesCpu() - before.nodes,
    postgres: postgresCpu(server) - before.postgres,
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface ChildMessage {
  readonly type: string;
  readonly state?: string;
  readonly message?: string;
  readonly i?: number;
  readonly at?: number;
}

/** A worker node (syncplane-node.ts or graphile-node.ts) in its own process, over IPC. */
class BenchNode {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Syncs that ended SUCCEEDED (syncplane) or jobs completed (graphile-worker). */
  succeeded = 0;
  /** Syncs that ended otherwise, by end state. */
  readonly other = new Map<string, number>();
  readonly errors: string[] = [];
  onMessage: (message: ChildMessage) => void = () => undefined;

  constructor(
    cleanup: Cleanup,
    readonly name: string,
    script: string,
    options: object,
  ) {
    this.child = cleanup.track(
      spawn(
        process.execPath,
        ["--import", TSX, join(import.meta.dirname, script), JSON.stringify(options), cleanup.root],
        {
          stdio: ["ignore", "inherit", "inherit", "ipc"],
          // graphile-worker's own switch for its per-job success line.
          env: { ...env, NO_LOG_SUCCESS: "1" },
        },
      ),
    );
    this.ready = new Promise((resolve, reject) => {
      this.child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
      this.child.on("message", (raw) => {
        const message = raw as ChildMessage;
        if (message.type === "ready") resolve();
        else if (message.type === "finished") {
          if (message.state === undefined || message.state === "SUCCEEDED") this.succeeded++;
          else this.other.set(message.state, (this.other.get(message.state) ?? 0) + 1);
        } else if (message.type === "error") {
          if (this.errors.length < 20) this.errors.push(message.message ?? "");
        }
        this.onMessage(message);
      });
    });
    this.ready.catch(() => undefined);
  }

  send(type: string): void {
    if (this.child.connected) this.child.send({ type });
  }

  /** Asks it to stop; SIGKILL after 20 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.send("stop");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A `syncplane serve` process started from the sources (as test/helpers/cluster.ts does). */
class ServeNode {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private tail = "";

  constructor(
    cleanup: Cleanup,
    readonly name: string,
    url: string,
    readonly dataDir: string,
    readonly port: number,
    roles: string,
  ) {
    this.child = cleanup.track(
      spawn(
        process.execPath,
        [
          "--import",
          TSX,
          join(ROOT, "src/cli/main.ts"),
          "serve",
          "--data-dir",
          dataDir,
          "--listen",
          `127.0.0.1:${port}`,
          "--database-url",
          url,
          "--roles",
          roles,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      ),
    );
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-4000);
    };
    this.child.stderr?.on("data", keep);
    this.ready = new Promise((resolve, reject) => {
      this.child.stdout?.on("data", (chunk: Buffer) => {
        keep(chunk);
        // Start-up lines are written whatever the log level (src/server.ts).
        if (/listening on http|running [a-z, ]*\(no HTTP listener\)/.test(this.tail)) resolve();
      });
      this.child.once("exit", (code) =>
        reject(new Error(`${name} exited with ${code}:\n${this.tail}`)),
      );
    });
    this.ready.catch(() => undefined);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput

interface Throughput {
  readonly system: "syncplane" | "graphile-worker";
  readonly nodes: number;
  /** How long queueing all of them in one transaction took (not in `seconds`). */
  readonly enqueueMs: number;
  /** From the queueing transaction's answer until the last one was recorded done. */
  readonly seconds: number;
  /** CPU seconds over `seconds`: the worker nodes' processes, and PostgreSQL (embedded only). */
  readonly cpu: { readonly nodes: number; readonly postgres: number };
  readonly perNode: readonly number[];
  /** BENCH_TOP_STATEMENTS: PostgreSQL's busiest statements of the run. */
  readonly statements: readonly string[];
}

const rate = (run: Throughput) => SYNCS / run.seconds;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Starts `count` nodes, waits until they are ready, sends them "go", waits for "running". */
async function startNodes(
  cleanup: Cleanup,
  count: number,
  make: (index: number) => BenchNode,
  waitRunning: boolean,
): Promise<BenchNode[]> {
  const nodes = Array.from({ length: count }, (_, index) => make(index));
  await Promise.all(nodes.map((node) => node.ready));
  const running = nodes.map(
    (node) =>
      new Promise<void>((resolve) => {
        const previous = node.onMessage;
        node.onMessage = (message) => {
          if (message.type === "running") resolve();
          previous(message);
        };
      }),
  );
  for (const node of nodes) node.send("go");
  if (waitRunning) await Promise.all(running);
  return nodes;
}

/** The TOP_STATEMENTS statements of database `url` with the most execution time. */
async function topStatements(server: BenchPostgres, url: string): Promise<string[]> {
  if (TOP_STATEMENTS <= 0) return [];
  const name = new URL(url).pathname.slice(1);
  const database = `dbid = (SELECT oid FROM pg_database WHERE datname = '${name}')`;
  const { rows } = await server.query(
    `SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g') AS query
     FROM pg_stat_statements WHERE ${database}
     ORDER BY total_exec_time DESC LIMIT ${TOP_STATEMENTS}`,
  );
  const all = (
    await server.query(
      `SELECT sum(calls) AS calls, sum(total_exec_time) AS ms FROM pg_stat_statements
       WHERE ${database}`,
    )
  ).rows[0] as { calls: string; ms: number };
  return [
    `all statements of the run's database: ${f1(all.ms)} ms of execution in ${all.calls} calls (${f1(Number(all.calls) / SYNCS)} per job, set-up included)`,
    ...(rows as { calls: string; total_exec_time: number; query: string }[]).map(
      (row) =>
        `${f1(row.total_exec_time).padStart(8)} ms in ${String(row.calls).padStart(6)} calls  ${row.query.slice(0, 160)}`,
    ),
  ];
}

function checkErrors(nodes: readonly BenchNode[]): void {
  const errors = nodes.flatMap((node) => node.errors.map((error) => `${node.name}: ${error}`));
  if (errors.length > 0)
    console.log(`  errors reported by the nodes:\n    ${errors.join("\n    ")}`);
}

async function syncplaneThroughput(
  server: BenchPostgres,
  cleanup: Cleanup,
  nodeCount: number,
): Promise<Throughput> {
  const url = await server.freshDatabase();
  const store = await PostgresStore.open(url);
  let nodes: BenchNode[] = [];
  try {
    const runtime = { store, clock: systemClock };
    const app = await createApp(runtime, ACTOR, { displayName: "bench" });
    // The connectors, as createConnector makes them, without its INITIAL sync (no schedules:
    // no scheduler runs here).
    const connectors: ConnectorRecord[] = Array.from({ length: SYNCS }, (_, i) => {
      const now = systemClock.now();
      return {
        id: newId(),
        appId: app.id,
        displayName: `bench ${i}`,
        description: "",
        catalogId: "file",
        config: {
          "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
          path: "/nonexistent/bench-queue.json", // never read: the nodes' runner is a no-op
        },
        configUpdatedAt: now,
        disableCheckBadSync: false,
        syncResourceTypeIds: [],
        userIds: [],
        syncStatus: NEVER_SYNCED,
        appliedSyncId: null,
        previousAppliedSyncId: null,
        dataDropPolicy: null,
        labels: {},
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      };
    });
    for (let i = 0; i < connectors.length; i += 500) {
      await store.transaction(async (tx) => {
        for (const connector of connectors.slice(i, i + 500)) await tx.insertConnector(connector);
      });
    }

    nodes = await startNodes(
      cleanup,
      nodeCount,
      (index) =>
        new BenchNode(cleanup, `syncplane node ${index}`, "syncplane-node.ts", {
          url,
          id: `bench-node-${index}`,
          concurrency: CONCURRENCY,
          syncLogs: SYNC_LOGS,
        }),
      false,
    );
    await sleep(200); // the workers' first (empty) claims are over

    // One FORCE sync per connector, all in one transaction (its commit wakes every node).
    const enqueueStart = wallClock();
    await store.transaction(async (tx) => {
      const now = systemClock.now();
      for (const [i, connector] of connectors.entries()) {
        await tx.insertSync({
          id: newId(),
          connectorId: connector.id,
          appId: app.id,
          trigger: "FORCE",
          queuedAt: QUEUED_AT === "same" ? now : now - SYNCS + i,
          requestedBy: ACTOR.name,
        });
      }
    });
    const t0 = wallClock();
    const meter = cpuMeter(server, nodes); // from here: the enqueueing's own work left out
    if (ANALYZE) await withClient(url, (client) => client.query("ANALYZE"));
    const total = () => nodes.reduce((sum, node) => sum + node.succeeded, 0);
    let t1 = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const other = nodes.flatMap((node) => [...node.other].map(([k, n]) => `${n} ${k}`));
        const ended = other.length > 0 ? ` (other ends: ${other.join(", ")})` : "";
        reject(new Error(`syncplane: ${total()} of ${SYNCS} syncs SUCCEEDED in time${ended}`));
      }, WAIT_LIMIT_MS);
      const check = () => {
        if (total() >= SYNCS) {
          t1 = wallClock();
          clearTimeout(timer);
          resolve();
        }
      };
      for (const node of nodes) {
        const previous = node.onMessage;
        node.onMessage = (message) => {
          previous(message);
          if (message.type === "finished") check();
        };
      }
      check();
    });
    const cpu = meter();
    checkErrors(nodes);
    await Promise.all(nodes.map((node) => node.stop()));
    const states = await withClient(url, async (client) =>
      Object.fromEntries(
        (
          await client.query<{ state: string; n: string }>(
            "SELECT state, count(*) AS n FROM sync_lifecycles GROUP BY state",
          )
        ).rows.map((row) => [row.state, Number(row.n)]),
      ),
    );
    if (states.SUCCEEDED !== SYNCS) {
      throw new Error(
        `syncplane: expected ${SYNCS} SUCCEEDED syncs, got ${JSON.stringify(states)}`,
      );
    }
    return {
      system: "syncplane",
      nodes: nodeCount,
      enqueueMs: t0 - enqueueStart,
      seconds: (t1 - t0) / 1000,
      cpu,
      perNode: nodes.map((node) => node.succeeded),
      statements: await topStatements(server, url),
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await store.close();
  }
}

async function graphileUtils(url: string): Promise<WorkerUtils> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quietLogger });
  await utils.migrate();
  return utils;
}

const remainingJobs = (client: pg.Client) =>
  client
    .query<{ n: string }>("SELECT count(*) AS n FROM graphile_worker._private_jobs")
    .then((result) => Number(result.rows[0]?.n ?? 0));

async function graphileThroughput(
  server: BenchPostgres,
  cleanup: Cleanup,
  nodeCount: number,
): Promise<Throughput> {
  const url = await server.freshDatabase();
  const utils = await graphileUtils(url);
  let nodes: BenchNode[] = [];
  try {
    nodes = await startNodes(
      cleanup,
      nodeCount,
      (index) =>
        new BenchNode(cleanup, `graphile-worker node ${index}`, "graphile-node.ts", {
          url,
          concurrency: CONCURRENCY,
          reportStarts: false,
        }),
      true,
    );
    await sleep(200);
    const enqueueStart = wallClock();
    const now = Date.now();
    await utils.addJobs(
      Array.from({ length: SYNCS }, (_, i) => ({
        identifier: "noop",
        payload: { i },
        ...(QUEUED_AT === "spread" ? { runAt: new Date(now - SYNCS + i) } : {}),
      })),
    );
    const t0 = wallClock();
    const meter = cpuMeter(server, nodes); // from here: the enqueueing's own work left out
    if (ANALYZE) await withClient(url, (client) => client.query("ANALYZE"));
    const total = () => nodes.reduce((sum, node) => sum + node.succeeded, 0);
    // Every job's task ran and its completion was sent; then until none is left in the table
    // (a job is deleted when its completion commits).
    await until(`graphile-worker: all ${SYNCS} jobs run`, () => total() >= SYNCS, WAIT_LIMIT_MS);
    const t1 = await withClient(url, async (client) => {
      for (;;) {
        if ((await remainingJobs(client)) === 0) return wallClock();
        await sleep(2);
      }
    });
    const cpu = meter();
    checkErrors(nodes);
    return {
      system: "graphile-worker",
      nodes: nodeCount,
      enqueueMs: t0 - enqueueStart,
      seconds: (t1 - t0) / 1000,
      cpu,
      perNode: nodes.map((node) => node.succeeded),
      statements: await topStatements(server, url),
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await utils.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Latency

interface Latency {
  readonly label: string;
  /** Milliseconds, ascending. */
  readonly values: number[];
  /** Calls that found no start to match (coalesced, lost). */
  readonly missing: number;
}

interface Call {
  readonly key: string;
  readonly sent: number;
  readonly answered: number;
}

function httpCall(
  agent: Agent,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; json: Json }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** One system of the latency phase: set up, then called in turn with the other. */
interface LatencyTarget {
  /** Queues work number `n`; resolves with its key once the call was answered. */
  call(n: number): Promise<string>;
  /** The latencies of the timed calls, once their work ran. */
  results(calls: readonly Call[]): Promise<Latency[]>;
  close(): Promise<void>;
}

/**
 * Calls each target WARMUP + SAMPLES times, one call each every INTERVAL_MS, the second target
 * half an interval after the first (both see the same machine at the same time; each is idle
 * between its own calls). Returns each target's timed calls.
 */
async function interleaved(targets: readonly LatencyTarget[]): Promise<Call[][]> {
  const calls: Call[][] = targets.map(() => []);
  let slot = wallClock();
  for (let n = 0; n < LATENCY_WARMUP + SAMPLES; n++) {
    for (const [t, target] of targets.entries()) {
      await sleep(Math.max(0, slot + (t * INTERVAL_MS) / targets.length - wallClock()));
      const sent = wallClock();
      const key = await target.call(n);
      const answered = wallClock();
      if (n >= LATENCY_WARMUP) calls[t]?.push({ key, sent, answered });
    }
    slot += INTERVAL_MS;
  }
  return calls;
}

const sorted = (values: number[]) => values.sort((a, b) => a - b);

/**
 * syncplane: an API node (`serve --roles api`) and LATENCY_WORKERS worker nodes (`serve --roles
 * worker`, default concurrency 2), real processes from the sources; LATENCY_CONNECTORS file
 * connectors on a tiny inventory; each call is a ForceSync over HTTP to the API node.
 */
async function syncplaneTarget(server: BenchPostgres, cleanup: Cleanup): Promise<LatencyTarget> {
  const url = await server.freshDatabase();
  const inventory = join(cleanup.root, "inventory.json");
  writeFileSync(
    inventory,
    JSON.stringify({
      resourceTypes: [
        { id: "user", traits: ["USER"] },
        { id: "group", traits: ["GROUP"] },
      ],
      resources: [
        { resourceType: "user", id: "u1" },
        { resourceType: "user", id: "u2" },
        { resourceType: "group", id: "g1" },
      ],
      entitlements: [{ resourceType: "group", resourceId: "g1", slug: "member" }],
      grants: [{ entitlement: "group:g1:member", principal: { resourceType: "user", id: "u1" } }],
    }),
  );
  const nodes: ServeNode[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const close = async () => {
    agent.destroy();
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    // The API node first: it migrates and writes the first admin credential to its data dir.
    const port = await freePort();
    const api = new ServeNode(cleanup, "api node", url, join(cleanup.root, "api"), port, "api");
    nodes.push(api);
    await api.ready;
    for (let i = 0; i < LATENCY_WORKERS; i++) {
      const dataDir = join(cleanup.root, `worker${i}`);
      nodes.push(new ServeNode(cleanup, `worker node ${i}`, url, dataDir, 0, "worker"));
    }
    await Promise.all(nodes.map((node) => node.ready));
    const admin = JSON.parse(readFileSync(join(api.dataDir, "admin-credential.json"), "utf8")) as {
      clientId: string;
      clientSecret: string;
    };
    const token = (
      await httpCall(
        agent,
        `${api.url}/auth/v1/token`,
        "POST",
        { "content-type": "application/x-www-form-urlencoded" },
        new URLSearchParams({
          grant_type: "client_credentials",
          client_id: admin.clientId,
          client_secret: admin.clientSecret,
        }).toString(),
      )
    ).json.access_token as string;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const post = async (path: string, body: object) => {
      const response = await httpCall(agent, api.url + path, "POST", headers, JSON.stringify(body));
      if (response.status !== 200) {
        throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(response.json)}`);
      }
      return response.json;
    };
    const appId = (await post("/api/v1/apps", { displayName: "bench" })).app.id as string;
    const connectors: string[] = [];
    for (let i = 0; i < LATENCY_CONNECTORS; i++) {
      const created = await post(`/api/v1/apps/${appId}/connectors/create`, {
        catalogId: "file",
        config: {
          "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
          path: inventory,
        },
      });
      connectors.push(created.connectorView.connector.id as string);
    }
    const count = (sql: string) =>
      withClient(url, async (client) =>
        Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0),
      );
    // Each connector's INITIAL sync (queued by its creation) has run.
    await until(
      "the INITIAL syncs",
      async () =>
        (await count("SELECT count(*) AS n FROM sync_lifecycles WHERE state = 'SUCCEEDED'")) ===
        LATENCY_CONNECTORS,
      WAIT_LIMIT_MS,
    );
    return {
      // The connectors take turns: each is forced every LATENCY_CONNECTORS × INTERVAL_MS, long
      // after its previous sync ended, so every ForceSync queues a new sync.
      async call(n) {
        const connectorId = connectors[n % connectors.length] as string;
        await post(`/api/v1/apps/${appId}/connectors/${connectorId}/force_sync`, {});
        return connectorId;
      },
      results: (calls) => syncplaneResults(url, calls),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function syncplaneResults(url: string, calls: readonly Call[]): Promise<Latency[]> {
  const expected = LATENCY_WARMUP + SAMPLES;
  await until(
    "the FORCE syncs to end",
    () =>
      withClient(url, async (client) => {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM sync_lifecycles
           WHERE trigger = 'FORCE' AND finished_at IS NOT NULL`,
        );
        return Number(rows[0]?.n ?? 0) >= expected;
      }),
    60_000,
  ).catch((error: unknown) => console.log(`  ${(error as Error).message}`));
  // Each FORCE sync's RUNNING event (its first attempt): the clock reading its claim took on the
  // worker node, before the claim's UPDATE and commit.
  const rows = await withClient(
    url,
    async (client) =>
      (
        await client.query<{ id: string; connector_id: string; queued_at: string; at: string }>(
          `SELECT s.id, s.connector_id, s.queued_at, e.at FROM sync_lifecycles s
           JOIN sync_events e ON e.sync_id = s.id AND e.state = 'RUNNING' AND e.attempt = 1
           WHERE s.trigger = 'FORCE'`,
        )
      ).rows,
  );
  const byConnector = new Map<string, { id: string; queuedAt: number; at: number }[]>();
  for (const row of rows) {
    const list = byConnector.get(row.connector_id) ?? [];
    list.push({ id: row.id, queuedAt: Number(row.queued_at), at: Number(row.at) });
    byConnector.set(row.connector_id, list);
  }
  const artifacts = await PostgresArtifacts.open(url);
  const fromAnswer: number[] = [];
  const fromCall: number[] = [];
  const toLog: number[] = [];
  let missing = 0;
  let missingLog = 0;
  try {
    for (const call of calls) {
      // The sync this call queued: queued (server clock, whole ms) while the call was open.
      const sync = byConnector
        .get(call.key)
        ?.find((s) => s.queuedAt >= Math.floor(call.sent) - 1 && s.queuedAt <= call.answered + 1);
      if (!sync) {
        missing++;
        continue;
      }
      fromAnswer.push(sync.at - call.answered);
      fromCall.push(sync.at - call.sent);
      // Its log's first line: written once the claim committed and the log was opened, right
      // before the runner is called.
      const first = (await artifacts.readLog(call.key, sync.id)).find(
        (line) => line.message === "attempt 1 started",
      );
      if (first?.at) toLog.push(Date.parse(first.at) - call.answered);
      else missingLog++;
    }
  } finally {
    await artifacts.close();
  }
  return [
    {
      label: "syncplane: ForceSync answer → RUNNING on a worker node",
      values: sorted(fromAnswer),
      missing,
    },
    {
      label: "syncplane: ForceSync answer → the run's first log line",
      values: sorted(toLog),
      missing: missing + missingLog,
    },
    { label: "syncplane: ForceSync sent → RUNNING", values: sorted(fromCall), missing },
  ];
}

/**
 * graphile-worker: LATENCY_WORKERS worker nodes (graphile-node.ts, concurrency 2 each); each call
 * is a WorkerUtils addJob from the benchmark process; the task reports when it started.
 */
async function graphileTarget(server: BenchPostgres, cleanup: Cleanup): Promise<LatencyTarget> {
  const url = await server.freshDatabase();
  const utils = await graphileUtils(url);
  let nodes: BenchNode[] = [];
  const starts = new Map<string, number>();
  const close = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await utils.release();
  };
  try {
    nodes = await startNodes(
      cleanup,
      LATENCY_WORKERS,
      (index) => {
        const node = new BenchNode(cleanup, `graphile-worker node ${index}`, "graphile-node.ts", {
          url,
          concurrency: 2,
          reportStarts: true,
        });
        node.onMessage = (message) => {
          if (message.type === "started" && message.at !== undefined) {
            const key = String(message.i);
            if (!starts.has(key)) starts.set(key, message.at);
          }
        };
        return node;
      },
      true,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    async call(n) {
      await utils.addJob("noop", { i: n });
      return String(n);
    },
    async results(calls) {
      await until("the jobs to start", () => starts.size >= LATENCY_WARMUP + SAMPLES, 60_000).catch(
        (error: unknown) => console.log(`  ${(error as Error).message}`),
      );
      checkErrors(nodes);
      const fromAnswer: number[] = [];
      const fromCall: number[] = [];
      let missing = 0;
      for (const call of calls) {
        const at = starts.get(call.key);
        if (at === undefined) {
          missing++;
          continue;
        }
        fromAnswer.push(at - call.answered);
        fromCall.push(at - call.sent);
      }
      return [
        {
          label: "graphile-worker: addJob answer → task start on a worker node",
          values: sorted(fromAnswer),
          missing,
        },
        {
          label: "graphile-worker: addJob call → task start",
          values: sorted(fromCall),
          missing,
        },
      ];
    },
    close,
  };
}

// ---------------------------------------------------------------------------------------------

const f1 = (value: number) => value.toFixed(1);
const f2 = (value: number) => value.toFixed(2);
const median = (values: number[]) => percentile(sorted([...values]), 50);
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function printThroughput(run: Throughput): void {
  console.log(
    `  ${run.system.padEnd(16)} ${String(run.nodes).padStart(5)} × ${CONCURRENCY}  ${f2(run.seconds).padStart(7)} s  ${f1(rate(run)).padStart(8)} /s   CPU per job: nodes ${f2((1000 * run.cpu.nodes) / SYNCS)} ms, PostgreSQL ${f2((1000 * run.cpu.postgres) / SYNCS)} ms   enqueue ${f1(run.enqueueMs)} ms   per node ${run.perNode.join(" / ")}`,
  );
  for (const line of run.statements) console.log(`      ${line}`);
}

function printLatency(latency: Latency): void {
  const v = latency.values;
  console.log(
    `  ${latency.label.padEnd(62)} p50 ${f2(percentile(v, 50)).padStart(6)}  p90 ${f2(percentile(v, 90)).padStart(6)}  p99 ${f2(percentile(v, 99)).padStart(7)}  mean ${f2(mean(v)).padStart(6)}  min ${f2(v[0] ?? NaN).padStart(6)}  max ${f2(v[v.length - 1] ?? NaN).padStart(7)} ms  (n ${v.length}${latency.missing ? `, ${latency.missing} unmatched` : ""})`,
  );
}

async function main(cleanup: Cleanup): Promise<void> {
  const server = await startPostgres(
    DATABASE_URL,
    FAST,
    cleanup,
    TOP_STATEMENTS > 0 ? ["-c", "shared_preload_libraries=pg_stat_statements"] : [],
  );
  if (TOP_STATEMENTS > 0) await server.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  const settings = await server.query(
    `SELECT version() AS version, current_setting('fsync') AS fsync,
            current_setting('synchronous_commit') AS synchronous_commit`,
  );
  const s = settings.rows[0] as { version: string; fsync: string; synchronous_commit: string };
  console.log(
    `bench/queue: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}, load ${loadavg()
      .map(f2)
      .join(" ")}`,
  );
  console.log(
    `  ${server.description}: ${s.version.split(" on ")[0]}, fsync ${s.fsync}, synchronous_commit ${s.synchronous_commit}`,
  );

  const runs: Throughput[] = [];
  if (ONLY !== "latency") {
    console.log(
      `\nThroughput: ${SYNCS} no-op syncs (jobs) queued in one transaction (${QUEUED_AT === "same" ? "all with the same queue time" : "queue times 1 ms apart"}${ANALYZE ? ", then ANALYZE" : ""}), then run by worker nodes (own processes) at concurrency ${CONCURRENCY} each${SYNC_LOGS ? "; syncplane keeps each sync's log (PostgresArtifacts), as serve does" : "; syncplane without sync logs"}`,
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const nodes of NODES) {
        for (const system of ["syncplane", "graphile-worker"] as const) {
          const run =
            system === "syncplane"
              ? await syncplaneThroughput(server, cleanup, nodes)
              : await graphileThroughput(server, cleanup, nodes);
          printThroughput(run);
          runs.push(run);
        }
      }
    }
  }

  const latencies: Latency[] = [];
  if (ONLY !== "throughput") {
    console.log(
      `\nLatency: ${SAMPLES} timed calls per system (after ${LATENCY_WARMUP} untimed), one every ${INTERVAL_MS} ms, the two systems in turn; ${LATENCY_WORKERS} worker nodes each at concurrency 2 besides the caller`,
    );
    const targets: LatencyTarget[] = [];
    try {
      targets.push(await syncplaneTarget(server, cleanup));
      targets.push(await graphileTarget(server, cleanup));
      const calls = await interleaved(targets);
      for (const [t, target] of targets.entries()) {
        latencies.push(...(await target.results(calls[t] ?? [])));
      }
    } finally {
      for (const target of targets) await target.close();
    }
    latencies.forEach(printLatency);
  }

  console.log("\nSummary");
  const best = (system: string, nodes: number) => {
    const rates = runs.filter((r) => r.system === system && r.nodes === nodes).map(rate);
    return rates.length > 0 ? median(rates) : NaN;
  };
  if (runs.length > 0) {
    console.log(`  jobs/s${ROUNDS > 1 ? ` (median of ${ROUNDS} rounds)` : ""}:`);
    console.log(
      `    nodes × conc.  syncplane  graphile-worker  syncplane / graphile-worker   CPU ms per job (nodes + PostgreSQL): syncplane, graphile-worker`,
    );
    const cpuPerJob = (system: string, nodes: number) => {
      const picked = runs.filter((r) => r.system === system && r.nodes === nodes);
      const ms = (pick: (run: Throughput) => number) =>
        f2(median(picked.map((run) => (1000 * pick(run)) / SYNCS)));
      return `${ms((run) => run.cpu.nodes)} + ${ms((run) => run.cpu.postgres)}`;
    };
    for (const nodes of NODES) {
      const sp = best("syncplane", nodes);
      const gw = best("graphile-worker", nodes);
      console.log(
        `    ${`${nodes} × ${CONCURRENCY}`.padEnd(13)} ${f1(sp).padStart(10)} ${f1(gw).padStart(16)}  ${f2(sp / gw).padStart(8)}×   (goal ≥ 1×)   ${cpuPerJob("syncplane", nodes)}, ${cpuPerJob("graphile-worker", nodes)}`,
      );
    }
    const [low, high] = [Math.min(...NODES), Math.max(...NODES)];
    if (low !== high) {
      console.log(
        `    ${high} nodes / ${low}: syncplane ${f2(best("syncplane", high) / best("syncplane", low))}× (goal ≥ 2×), graphile-worker ${f2(best("graphile-worker", high) / best("graphile-worker", low))}×`,
      );
    }
  }
  if (latencies.length > 0) {
    console.log(`  latency (ms):`);
    for (const latency of latencies) {
      const v = latency.values;
      console.log(
        `    ${latency.label.padEnd(62)} p50 ${f2(percentile(v, 50)).padStart(6)}  p99 ${f2(percentile(v, 99)).padStart(7)}  mean ${f2(mean(v)).padStart(6)}`,
      );
    }
    console.log(
      `    goal (syncplane, ForceSync answer → start on another node): p50 ≤ 5 ms, p99 ≤ 50 ms; graphile-worker publishes 4.16 ms average add_job → execution`,
    );
  }
}

const cleanup = new Cleanup();
const stopOnSignal = (signal: NodeJS.Signals) => {
  console.error(`\nbench/queue: ${signal}, cleaning up`);
  cleanup.killChildren();
  void cleanup.run().finally(() => process.exit(130));
};
process.once("SIGINT", stopOnSignal);
process.once("SIGTERM", stopOnSignal);
const limit = setTimeout(() => {
  console.error(`\nbench/queue: stopped after ${LIMIT_SECONDS} s (BENCH_LIMIT_SECONDS)`);
  void cleanup.run().finally(() => process.exit(1));
}, LIMIT_SECONDS * 1000);
try {
  await main(cleanup);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  clearTimeout(limit);
  await cleanup.run();
}
