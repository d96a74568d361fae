// bench/control-ops: see README.md beside this file.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atExit } from "../lib/cleanup.js";
import { processCpuMs } from "../lib/cpu.js";
import {
  backendOptions,
  startPostgres,
  type Backend,
  type BenchPostgres,
} from "../lib/postgres.js";
import { percentile } from "../lib/stats.js";

const ROOT = join(import.meta.dirname, "../..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTORS = 200;
const CONCURRENCY = (process.env.BENCH_CONNECTIONS ?? "1,50").split(",").map(Number);
/** Extra node flags for the syncplane process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
/** The stores to run on, and an existing PostgreSQL (a fresh database is made there) if given. */
const { databaseUrl: DATABASE_URL, backends: BACKENDS } = backendOptions();

interface Target {
  url: string;
  process: ChildProcess;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

function start(command: string, args: string[], env = process.env): Promise<Target> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"], env });
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    // Also stopped if this benchmark fails or is interrupted.
    const kill = atExit(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    });
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /listening on (https?:\/\/[^\s"]+)/.exec(buffer);
      if (match) {
        // Keep draining the log so the child never blocks on a full pipe.
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({
          url: match[1] as string,
          process: child,
          stop: async () => {
            kill();
            await exited;
          },
        });
      }
    };
    child.stdout?.on("data", onData);
    child.on("exit", (code) => {
      kill();
      reject(new Error(`${command} exited with ${code} before listening`));
    });
  });
}

interface Response {
  status: number;
  body: string;
}

function send(
  agent: Agent,
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface Sample {
  op: string;
  ms: number;
}

/** Closed loop: `concurrency` requesters, each sending its next request when the last answers. */
interface Run {
  samples: Sample[];
  seconds: number;
  errors: number;
  /** CPU (ms) used during the run by the server, PostgreSQL's processes and this process. */
  cpu: { server: number | null; postgres: number | null; generator: number };
}

/**
 * Closed loop: `concurrency` requesters, each sending its next request when the last answers.
 * Also records the CPU the target server (and, given `database`, PostgreSQL) used meanwhile.
 */
async function load(
  target: Target,
  concurrency: number,
  next: (worker: number, iteration: number) => { op: string; path: string },
  headers: Record<string, string>,
  method = "POST",
  database: BenchPostgres | null = null,
): Promise<Run> {
  const { url } = target;
  const pid = target.process.pid as number;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: Sample[] = [];
  let errors = 0;
  const serverCpu = processCpuMs(pid);
  const postgresCpu = database?.serverCpuMs() ?? null;
  const generatorCpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const { op, path } = next(worker, i);
        const t0 = performance.now();
        const response = await send(
          agent,
          url,
          method,
          path,
          headers,
          method === "POST" ? "{}" : undefined,
        );
        const ms = performance.now() - t0;
        if (response.status !== 200) errors++;
        samples.push({ op, ms });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const generator = process.cpuUsage(generatorCpu);
  const serverCpuEnd = processCpuMs(pid);
  const postgresCpuEnd = database?.serverCpuMs() ?? null;
  agent.destroy();
  return {
    samples,
    seconds,
    errors,
    cpu: {
      server: serverCpu === null || serverCpuEnd === null ? null : serverCpuEnd - serverCpu,
      postgres:
        postgresCpu === null || postgresCpuEnd === null ? null : postgresCpuEnd - postgresCpu,
      generator: (generator.user + generator.system) / 1000,
    },
  };
}

interface Row {
  backend: Backend;
  scenario: string;
  concurrency: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** requests/s relative to the bare server at the same concurrency, measured just before. */
  ratio: number;
  /** CPU µs per request of the server, PostgreSQL and the load generator (whole runs only). */
  cpu: { server: number | null; postgres: number | null; generator: number } | null;
}

function summarise(
  backend: Backend,
  scenario: string,
  concurrency: number,
  run: Run,
  bareRps: number,
  op?: string,
): Row {
  const perRequest = (ms: number | null) => (ms === null ? null : (ms * 1000) / run.samples.length);
  const picked = op ? run.samples.filter((s) => s.op === op) : run.samples;
  const sorted = picked.map((s) => s.ms).sort((a, b) => a - b);
  const rps = picked.length / run.seconds;
  return {
    backend,
    scenario,
    concurrency,
    requests: picked.length,
    rps,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: run.errors,
    ratio: rps / bareRps,
    cpu: op
      ? null
      : {
          server: perRequest(run.cpu.server),
          postgres: perRequest(run.cpu.postgres),
          generator: perRequest(run.cpu.generator) as number,
        },
  };
}

/** Starts syncplane on `backend`, creates the connectors, runs every scenario; its rows. */
async function measure(
  backend: Backend,
  bare: Target,
  postgres: BenchPostgres | null,
): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "syncplane-bench-"));
  const removeDataDir = atExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const databaseUrl =
    backend === "postgres" ? await (postgres as BenchPostgres).createDatabase() : null;
  // The database URL goes through the environment (the same setting as --database-url), which
  // keeps its password out of process listings; a SQLite run gets none even if the shell has one.
  const env: NodeJS.ProcessEnv = { ...process.env, SYNCPLANE_DATABASE_URL: databaseUrl ?? "" };
  let syncplane: Target | null = null;
  try {
    syncplane = await start(
      process.execPath,
      [
        ...SERVER_NODE_ARGS,
        join(ROOT, "bin/syncplane.mjs"),
        "serve",
        "--data-dir",
        dataDir,
        "--listen",
        "127.0.0.1:0",
        "--roles",
        "api",
        ...(process.env.BENCH_SERVER_ARGS ?? "").split(" ").filter(Boolean),
      ],
      env,
    );
    const server = syncplane;
    const url = server.url;
    const database = backend === "postgres" ? postgres : null;
    const admin = JSON.parse(readFileSync(join(dataDir, "admin-credential.json"), "utf8")) as {
      clientId: string;
      clientSecret: string;
    };
    const agent = new Agent({ keepAlive: true });
    const tokenResponse = await send(
      agent,
      url,
      "POST",
      "/auth/v1/token",
      { "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({
        grant_type: "client_credentials",
        client_id: admin.clientId,
        client_secret: admin.clientSecret,
      }).toString(),
    );
    const token = (JSON.parse(tokenResponse.body) as { access_token: string }).access_token;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const app = JSON.parse(
      (
        await send(
          agent,
          url,
          "POST",
          "/api/v1/apps",
          headers,
          JSON.stringify({ displayName: "bench" }),
        )
      ).body,
    ) as { app: { id: string } };
    const bases: string[] = [];
    for (let i = 0; i < CONNECTORS; i++) {
      const created = await send(
        agent,
        url,
        "POST",
        `/api/v1/apps/${app.app.id}/connectors/create`,
        headers,
        JSON.stringify({
          catalogId: "file",
          config: {
            "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
            path: `/tmp/bench-${i}.json`,
          },
        }),
      );
      const id = (JSON.parse(created.body) as { connectorView: { connector: { id: string } } })
        .connectorView.connector.id;
      bases.push(`/api/v1/apps/${app.app.id}/connectors/${id}`);
    }
    agent.destroy();

    const rows: Row[] = [];
    for (const concurrency of CONCURRENCY) {
      // Warm-up, then the baseline at this concurrency, just before this store's runs.
      await load(bare, concurrency, () => ({ op: "hello", path: "/" }), headers);
      const helloRun = await load(bare, concurrency, () => ({ op: "hello", path: "/" }), headers);
      const bareRps = helloRun.samples.length / helloRun.seconds;
      rows.push(summarise(backend, "bare node:http hello", concurrency, helloRun, bareRps));

      if (process.env.BENCH_FASTIFY_FLOOR) {
        // Diagnostic: syncplane's cheapest request, an unauthenticated health GET.
        rows.push(
          summarise(
            backend,
            "syncplane /healthz (GET)",
            concurrency,
            await load(
              server,
              concurrency,
              () => ({ op: "health", path: "/healthz" }),
              headers,
              "GET",
              database,
            ),
            bareRps,
          ),
        );
      }
      const only = process.env.BENCH_ONLY; // diagnostic: "force" or "toggle"
      if (only !== "toggle") {
        const force = await load(
          server,
          concurrency,
          (worker, i) => ({
            op: "force_sync",
            path: `${bases[(worker * 7 + i) % CONNECTORS]}/force_sync`,
          }),
          headers,
          "POST",
          database,
        );
        rows.push(summarise(backend, "force_sync", concurrency, force, bareRps));
      }

      if (only !== "force") {
        // Each requester owns connectors worker, worker+C, …; it pauses one, then resumes it.
        const owned = (worker: number, i: number) =>
          bases[(worker + concurrency * Math.floor(i / 2)) % CONNECTORS];
        const toggle = await load(
          server,
          concurrency,
          (worker, i) => {
            const op = i % 2 === 0 ? "pause" : "resume";
            return { op, path: `${owned(worker, i)}/${op}` };
          },
          headers,
          "POST",
          database,
        );
        rows.push(summarise(backend, "pause", concurrency, toggle, bareRps, "pause"));
        rows.push(summarise(backend, "resume", concurrency, toggle, bareRps, "resume"));
        rows.push(summarise(backend, "pause+resume (together)", concurrency, toggle, bareRps));
        // A requester stopped by the deadline may have left its last connector paused.
        const cleanup = new Agent({ keepAlive: true });
        for (const base of bases) await send(cleanup, url, "POST", `${base}/resume`, headers, "{}");
        cleanup.destroy();
      }
    }
    return rows;
  } finally {
    await syncplane?.stop();
    removeDataDir();
    if (databaseUrl !== null) await (postgres as BenchPostgres).dropDatabase(databaseUrl);
  }
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
/** Rows whose requests/s is compared with the bare server's (pause and resume split one run). */
const compared = (row: Row) =>
  row.scenario.startsWith("pause+resume") ||
  row.scenario.startsWith("force") ||
  row.scenario.startsWith("bare");
const goalMet = (row: Row) => row.ratio >= 0.5 && row.p99 <= 10;

function printTable(rows: Row[]): void {
  console.log(
    [
      "store".padEnd(8),
      "scenario".padEnd(26),
      "conns".padStart(5),
      "requests".padStart(9),
      "req/s".padStart(9),
      "p50 ms".padStart(8),
      "p99 ms".padStart(8),
      "× bare".padStart(7),
      "errors".padStart(7),
      "goal".padStart(8),
      "CPU µs/req: server".padStart(19),
      "postgres".padStart(9),
      "client".padStart(7),
    ].join(" "),
  );
  const us = (value: number | null | undefined) =>
    value === null || value === undefined ? "" : fmt(value, 0);
  for (const row of rows) {
    const isControl = compared(row) && !row.scenario.startsWith("bare");
    console.log(
      [
        row.backend.padEnd(8),
        row.scenario.padEnd(26),
        String(row.concurrency).padStart(5),
        String(row.requests).padStart(9),
        fmt(row.rps, 0).padStart(9),
        fmt(row.p50).padStart(8),
        fmt(row.p99).padStart(8),
        (compared(row) ? fmt(row.ratio) : "").padStart(7),
        String(row.errors).padStart(7),
        (isControl ? (goalMet(row) ? "met" : "not met") : "").padStart(8),
        us(row.cpu?.server).padStart(19),
        us(row.cpu?.postgres).padStart(9),
        us(row.cpu?.generator).padStart(7),
      ].join(" "),
    );
  }
}

/** The control operations of each store side by side. */
function printSideBySide(rows: Row[]): void {
  const backends = [...new Set(rows.map((row) => row.backend))];
  if (backends.length < 2) return;
  console.log(`
side by side (req/s, × bare, p99 ms):
`);
  console.log(
    ["scenario".padEnd(26), "conns".padStart(5), ...backends.map((b) => b.padStart(26))].join(" "),
  );
  const keys = new Map<string, { scenario: string; concurrency: number }>();
  for (const row of rows)
    if (!row.scenario.startsWith("bare")) keys.set(`${row.concurrency} ${row.scenario}`, row);
  for (const { scenario, concurrency } of keys.values()) {
    const cells = backends.map((backend) => {
      const row = rows.find(
        (r) => r.backend === backend && r.scenario === scenario && r.concurrency === concurrency,
      );
      if (!row) return "–".padStart(26);
      const ratio = compared(row) ? `${fmt(row.ratio)}×` : "";
      return `${fmt(row.rps, 0)} ${ratio} ${fmt(row.p99)}`.padStart(26);
    });
    console.log([scenario.padEnd(26), String(concurrency).padStart(5), ...cells].join(" "));
  }
}

async function main(): Promise<void> {
  const bare = await start(process.execPath, [join(import.meta.dirname, "bare-server.mjs")]);
  let postgres: BenchPostgres | null = null;
  try {
    const rows: Row[] = [];
    for (const backend of BACKENDS) {
      if (backend === "postgres" && postgres === null) {
        postgres = await startPostgres(DATABASE_URL);
        console.log(`PostgreSQL: ${postgres.description}`);
      }
      rows.push(...(await measure(backend, bare, postgres)));
    }

    console.log(
      `\ncontrol-ops: ${SECONDS}s per scenario, ${CONNECTORS} connectors, Node ${process.version}\n`,
    );
    printTable(rows);
    printSideBySide(rows);
    console.log(
      "\n× bare: requests/s relative to the bare server at the same concurrency, measured just before that store's runs (goal ≥ 0.5); goal p99 ≤ 10 ms.",
    );
    console.log(
      "pause and resume alternate in one run; their own rows split its requests by operation.",
    );
    console.log(
      "CPU µs/req: user + system CPU per request of the server process (syncplane or bare), of PostgreSQL's processes, and of this load generator, over the run (10 ms resolution per process).",
    );
  } finally {
    await bare.stop();
    await postgres?.stop();
  }
}

await main();
