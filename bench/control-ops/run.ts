// bench/control-ops: see README.md beside this file.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { percentile } from "../lib/stats.js";

const ROOT = join(import.meta.dirname, "../..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTORS = 200;
const CONCURRENCY = (process.env.BENCH_CONNECTIONS ?? "1,50").split(",").map(Number);
/** Extra node flags for the syncplane process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);

interface Target {
  url: string;
  process: ChildProcess;
}

function start(command: string, args: string[]): Promise<Target> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /listening on (https?:\/\/[^\s"]+)/.exec(buffer);
      if (match) {
        // Keep draining the log so the child never blocks on a full pipe.
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({ url: match[1] as string, process: child });
      }
    };
    child.stdout?.on("data", onData);
    child.on("exit", (code) =>
      reject(new Error(`${command} exited with ${code} before listening`)),
    );
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
async function load(
  url: string,
  concurrency: number,
  next: (worker: number, iteration: number) => { op: string; path: string },
  headers: Record<string, string>,
  method = "POST",
): Promise<{ samples: Sample[]; seconds: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: Sample[] = [];
  let errors = 0;
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
  agent.destroy();
  return { samples, seconds, errors };
}

interface Row {
  scenario: string;
  concurrency: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function summarise(
  scenario: string,
  concurrency: number,
  run: { samples: Sample[]; seconds: number; errors: number },
  op?: string,
): Row {
  const picked = op ? run.samples.filter((s) => s.op === op) : run.samples;
  const sorted = picked.map((s) => s.ms).sort((a, b) => a - b);
  return {
    scenario,
    concurrency,
    requests: picked.length,
    rps: picked.length / run.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: run.errors,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "syncplane-bench-"));
  const bare = await start(process.execPath, [join(import.meta.dirname, "bare-server.mjs")]);
  const syncplane = await start(process.execPath, [
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
  ]);
  try {
    const admin = JSON.parse(readFileSync(join(dataDir, "admin-credential.json"), "utf8")) as {
      clientId: string;
      clientSecret: string;
    };
    const agent = new Agent({ keepAlive: true });
    const tokenResponse = await send(
      agent,
      syncplane.url,
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
          syncplane.url,
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
        syncplane.url,
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
    const baseline = new Map<number, number>();
    for (const concurrency of CONCURRENCY) {
      // Warm-up, then the baseline at this concurrency.
      await load(bare.url, concurrency, () => ({ op: "hello", path: "/" }), headers);
      const hello = summarise(
        "bare node:http hello",
        concurrency,
        await load(bare.url, concurrency, () => ({ op: "hello", path: "/" }), headers),
      );
      baseline.set(concurrency, hello.rps);
      rows.push(hello);

      if (process.env.BENCH_FASTIFY_FLOOR) {
        // Diagnostic: syncplane's cheapest authenticated POST (introspect is a GET; a 404 POST
        // still authenticates? no — so use an unauthenticated health GET via POST-less path).
        rows.push(
          summarise(
            "syncplane /healthz (GET)",
            concurrency,
            await load(
              syncplane.url,
              concurrency,
              () => ({ op: "health", path: "/healthz" }),
              headers,
              "GET",
            ),
          ),
        );
      }
      const only = process.env.BENCH_ONLY; // diagnostic: "force" or "toggle"
      const force =
        only === "toggle"
          ? { samples: [], seconds: 1, errors: 0 }
          : await load(
              syncplane.url,
              concurrency,
              (worker, i) => ({
                op: "force_sync",
                path: `${bases[(worker * 7 + i) % CONNECTORS]}/force_sync`,
              }),
              headers,
            );
      rows.push(summarise("force_sync", concurrency, force));

      // Each requester owns connectors worker, worker+C, …; it pauses one, then resumes it.
      const owned = (worker: number, i: number) =>
        bases[(worker + concurrency * Math.floor(i / 2)) % CONNECTORS];
      const toggle =
        only === "force"
          ? { samples: [], seconds: 1, errors: 0 }
          : await load(
              syncplane.url,
              concurrency,
              (worker, i) => {
                const op = i % 2 === 0 ? "pause" : "resume";
                return { op, path: `${owned(worker, i)}/${op}` };
              },
              headers,
            );
      rows.push(summarise("pause", concurrency, toggle, "pause"));
      rows.push(summarise("resume", concurrency, toggle, "resume"));
      rows.push(summarise("pause+resume (together)", concurrency, toggle));
      // A requester stopped by the deadline may have left its last connector paused.
      const cleanup = new Agent({ keepAlive: true });
      for (const base of bases)
        await send(cleanup, syncplane.url, "POST", `${base}/resume`, headers, "{}");
      cleanup.destroy();
    }

    const fmt = (n: number, digits = 2) => n.toFixed(digits);
    console.log(
      `\ncontrol-ops: ${SECONDS}s per scenario, ${CONNECTORS} connectors, Node ${process.version}\n`,
    );
    console.log(
      [
        "scenario".padEnd(26),
        "conns".padStart(5),
        "requests".padStart(9),
        "req/s".padStart(9),
        "p50 ms".padStart(8),
        "p99 ms".padStart(8),
        "× bare".padStart(7),
        "errors".padStart(7),
      ].join(" "),
    );
    for (const row of rows) {
      const ratio = row.scenario.startsWith("bare")
        ? "1.00"
        : fmt(row.rps / (baseline.get(row.concurrency) ?? NaN));
      const together =
        row.scenario.startsWith("pause+resume") ||
        row.scenario.startsWith("force") ||
        row.scenario.startsWith("bare");
      console.log(
        [
          row.scenario.padEnd(26),
          String(row.concurrency).padStart(5),
          String(row.requests).padStart(9),
          fmt(row.rps, 0).padStart(9),
          fmt(row.p50).padStart(8),
          fmt(row.p99).padStart(8),
          (together ? ratio : "").padStart(7),
          String(row.errors).padStart(7),
        ].join(" "),
      );
    }
    console.log(
      "\n× bare: requests/s relative to the bare server at the same concurrency (goal ≥ 0.5); goal p99 ≤ 10 ms.",
    );
    console.log(
      "pause and resume alternate in one run; their own rows split its requests by operation.",
    );
  } finally {
    const exited = new Promise((resolve) => syncplane.process.once("exit", resolve));
    syncplane.process.kill("SIGTERM");
    bare.process.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
