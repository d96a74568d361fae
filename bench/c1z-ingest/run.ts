// bench/c1z-ingest: see README.md beside this file.
//
//   npm run bench:c1z-ingest [-- --grants N] [-- --c1z FILE] [-- --keep] [-- --no-build]
//
// Ingests one large c1z through a real syncplane server (a child process, so its peak RSS is
// the server's own) and compares the time with floors measured in the same run: the zstd CLI
// decompressing the same file, a SQLite scan of its grants, and — when it can be built — the Go
// `baton` CLI reading it.

import Database from "better-sqlite3";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateC1z } from "./generate.js";
import { percentile } from "../lib/stats.js";

const ROOT = join(import.meta.dirname, "../..");
const REPLAY = join(import.meta.dirname, "replay-connector.sh");
/** The goal of issue 4: peak RSS of the server while it ingests 1,000,000 grants. */
const RSS_GOAL_BYTES = 500 * 1000 * 1000;
const SAMPLE_MS = 100;
const POLL_MS = 250;
const SYNC_TIMEOUT_MS = 60 * 60 * 1000;
const GO_INSTALL_TIMEOUT_MS = 120_000;
const BATON_MODULE = "github.com/conductorone/baton/cmd/baton@latest";
/** Extra node flags for the syncplane process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);

// ---------------------------------------------------------------------------------------------
// Formatting

const fmt = (n: number): string => n.toLocaleString("en-US");
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const times = (ratio: number): string => `${ratio.toFixed(2)}×`;
const line = (label: string, value: string): void => console.log(`  ${label.padEnd(50)} ${value}`);

// ---------------------------------------------------------------------------------------------
// Processes

interface Timed {
  ms: number;
  code: number | null;
  stderr: string;
}

/** Runs a command to its exit; stdin and stdout are file descriptors or "ignore" (/dev/null). */
function timed(
  command: string,
  args: readonly string[],
  io: { stdin?: number | "ignore"; stdout?: number | "ignore"; env?: NodeJS.ProcessEnv } = {},
): Promise<Timed> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = spawn(command, args, {
      stdio: [io.stdin ?? "ignore", io.stdout ?? "ignore", "pipe"],
      env: io.env ?? process.env,
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    child.once("error", (error) =>
      resolvePromise({ ms: performance.now() - started, code: -1, stderr: error.message }),
    );
    child.once("close", (code) =>
      resolvePromise({ ms: performance.now() - started, code, stderr }),
    );
  });
}

const firstLine = (text: string): string =>
  text
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "") ?? "(no output)";

/** A file descriptor of the c1z positioned after its 5-byte "C1ZF\0" header: the zstd frame. */
function openZstdFrame(c1z: string): number {
  const fd = openSync(c1z, "r");
  const magic = Buffer.alloc(5);
  readSync(fd, magic, 0, 5, null); // position null: advances the offset the child inherits
  if (magic.toString("latin1") !== "C1ZF\0") {
    closeSync(fd);
    throw new Error(`${c1z} is not a v1 c1z (it starts with ${JSON.stringify(magic.toString())})`);
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------
// /proc sampling of the server

interface ProcStatus {
  rssBytes: number;
  hwmBytes: number;
  /** RSS split: anonymous (JS heap, SQLite cache), file-backed (code, mapped WAL index), shmem. */
  anonBytes: number;
  fileBytes: number;
  shmemBytes: number;
}

function readStatus(pid: number): ProcStatus | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
    return {
      rssBytes: kb("VmRSS") * 1024,
      hwmBytes: kb("VmHWM") * 1024,
      anonBytes: kb("RssAnon") * 1024,
      fileBytes: kb("RssFile") * 1024,
      shmemBytes: kb("RssShmem") * 1024,
    };
  } catch {
    return null;
  }
}

const CLOCK_TICKS = (() => {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  return Number(out.stdout?.trim()) || 100;
})();

/** User + system CPU time of a process so far, in milliseconds. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command name start at field 3 (state): utime is 14, stime 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

interface Sample {
  at: number; // Date.now(), to line up with the server's RFC 3339 timestamps
  rssBytes: number;
}

// ---------------------------------------------------------------------------------------------
// The server

interface Server {
  url: string;
  process: ChildProcess;
  pid: number;
}

function startServer(dataDir: string, logPath: string): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...SERVER_NODE_ARGS,
        join(ROOT, "bin/syncplane.mjs"),
        "serve",
        "--data-dir",
        dataDir,
        "--listen",
        "127.0.0.1:0",
        "--log-level",
        "info",
      ],
      { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT },
    );
    const log = createWriteStream(logPath);
    child.stderr?.pipe(log, { end: false });
    let buffer = "";
    let listening = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      log.write(chunk);
      if (listening) return;
      buffer += chunk.toString();
      const match = /listening on (https?:\/\/[^\s"]+)/.exec(buffer);
      if (match && child.pid) {
        listening = true;
        resolvePromise({ url: match[1] as string, process: child, pid: child.pid });
      }
    });
    child.once("exit", (code, signal) => {
      log.end();
      if (!listening) {
        reject(new Error(`the server exited (${code ?? signal}) before listening; see ${logPath}`));
      }
    });
  });
}

async function stopServer(server: Server): Promise<void> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) return;
  const exited = new Promise((r) => server.process.once("exit", r));
  server.process.kill("SIGTERM");
  const timer = setTimeout(() => server.process.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

class Api {
  private token = "";
  constructor(private readonly url: string) {}

  async login(dataDir: string): Promise<void> {
    const admin = JSON.parse(readFileSync(join(dataDir, "admin-credential.json"), "utf8")) as {
      clientId: string;
      clientSecret: string;
    };
    const response = await fetch(`${this.url}/auth/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: admin.clientId,
        client_secret: admin.clientSecret,
      }).toString(),
    });
    if (!response.ok) throw new Error(`token: HTTP ${response.status} ${await response.text()}`);
    this.token = ((await response.json()) as { access_token: string }).access_token;
  }

  async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const response = await fetch(this.url + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

interface Lifecycle {
  id: string;
  state: string;
  attempt: number;
  startedAt?: string;
  finishedAt?: string;
  counts?: { resources?: Record<string, number>; entitlements?: number; grants?: number };
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Floor {
  decompressedBytes: number;
  zstdNullMs: number;
  zstdFileMs: number;
  countMs: number;
  grantsInFile: number;
  scanMs: number;
  copyMs: number;
}

/** Floor figures are short and noisy: each is the median of this many runs. */
const FLOOR_RUNS = 3;

async function medianOf(runs: number, measure: () => Promise<number> | number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await measure());
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] as number;
}

async function zstdDecompress(c1z: string, stdout: number | "ignore"): Promise<number> {
  const fd = openZstdFrame(c1z);
  try {
    const run = await timed("zstd", ["-d", "-c", "-q"], { stdin: fd, stdout });
    if (run.code !== 0) throw new Error(`zstd -d failed: ${firstLine(run.stderr)}`);
    return run.ms;
  } finally {
    closeSync(fd);
  }
}

async function measureFloor(c1z: string, dir: string): Promise<Floor> {
  const zstdNullMs = await medianOf(FLOOR_RUNS, () => zstdDecompress(c1z, "ignore"));

  const dbPath = join(dir, "floor.sqlite");
  const zstdFileMs = await medianOf(FLOOR_RUNS, async () => {
    const out = openSync(dbPath, "w");
    try {
      return await zstdDecompress(c1z, out);
    } finally {
      closeSync(out);
    }
  });
  const decompressedBytes = statSync(dbPath).size;

  // A private copy: opened read-write so a WAL-mode header needs no -shm juggling.
  const db = new Database(dbPath);
  const grantsInFile = db.prepare("SELECT count(*) FROM v1_grants").pluck().get() as number;
  const countMs = await medianOf(FLOOR_RUNS, () => {
    const started = performance.now();
    db.prepare("SELECT count(*) FROM v1_grants").pluck().get();
    return performance.now() - started;
  });
  // Every grant row with the columns syncplane reads, into JS values (the floor of a JS reader).
  const scanMs = await medianOf(FLOOR_RUNS, () => {
    const started = performance.now();
    let rows = 0;
    for (const _row of db
      .prepare(
        `SELECT external_id, entitlement_id, principal_resource_type_id, principal_resource_id
           FROM v1_grants`,
      )
      .raw()
      .iterate()) {
      rows++;
    }
    if (rows !== grantsInFile) throw new Error(`row scan read ${rows}, count(*) ${grantsInFile}`);
    return performance.now() - started;
  });
  db.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(dbPath + suffix, { force: true });

  // What the replay connector does inside syncplane's timing.
  const copyPath = join(dir, "copy.c1z");
  const copyMs = await medianOf(FLOOR_RUNS, () => {
    const started = performance.now();
    copyFileSync(c1z, copyPath);
    const ms = performance.now() - started;
    rmSync(copyPath, { force: true });
    return ms;
  });

  return { decompressedBytes, zstdNullMs, zstdFileMs, countMs, grantsInFile, scanMs, copyMs };
}

interface Ingest {
  ingestMs: number;
  wallMs: number;
  connectorMs: number | null;
  /** syncplane's own timing notes from the sync log (open the c1z; store and check). */
  phases: string[];
  /** The data-drop diff of a second sync that lost every tenth grant (null with --no-diff). */
  diff: DiffFigures | null;
  idleRssBytes: number;
  peakRssBytes: number;
  /** /proc status of the server after the sync, right before it is stopped. */
  end: ProcStatus | null;
  rssP50Bytes: number;
  rssMaxSampledBytes: number;
  rssByTenth: number[];
  rssConnectorMaxBytes: number | null;
  rssReadStoreMaxBytes: number | null;
  cpuMs: number;
  counts: Lifecycle["counts"];
  grantsPageMs: number;
  grantsPageRows: number;
  resourceTypes: string[];
  /** The store's WAL: its largest size while the sync ran, and the sizes when it succeeded. */
  walPeakBytes: number;
  /** The largest size of the run directories (the connector's c1z and its decompressed copy). */
  runsPeakBytes: number;
  atSuccess: { dbBytes: number; walBytes: number; runsBytes: number };
  /** The data dir once the server has stopped (its last checkpoint done). */
  dataDirBytes: number;
}

function tail(path: string, count: number): string[] {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-count);
  } catch {
    return [];
  }
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Bytes in the files of runs/<run>/ (one level down, as the baton runner lays them out). */
function runsBytes(runs: string): number {
  let total = 0;
  try {
    for (const run of readdirSync(runs)) {
      for (const name of readdirSync(join(runs, run))) total += fileBytes(join(runs, run, name));
    }
  } catch {
    // a run directory removed while we looked
  }
  return total;
}

function duBytes(path: string): number {
  const out = spawnSync("du", ["-sb", path], { encoding: "utf8" });
  return Number(out.stdout?.split("\t")[0]) || NaN;
}

interface DiffFigures {
  removed: number;
  heldIngestMs: number;
  firstPageMs: number;
  firstPageAgainMs: number;
  pages: number;
  pageP50Ms: number;
  pageP99Ms: number;
  pageMaxMs: number;
  deepPageMs: number;
  deepPageIndex: number;
}

/**
 * The data-drop diff on the same data: a copy of the c1z without every tenth grant is replayed
 * under a 5% limit, so it is held; then the diff's first page (which works the diff out), the
 * same page again, and every page of the removed grants (500 a page) to the last, each timed.
 */
async function measureDiff(
  api: Api,
  base: string,
  c1z: string,
  dir: string,
  log: (text: string) => void,
): Promise<DiffFigures> {
  log("diff: a copy without every tenth grant, held under a 5% limit");
  const db = join(dir, "dropped.sqlite");
  const dropped = join(dir, "dropped.c1z");
  rmSync(db, { force: true });
  const unpack = spawnSync("sh", ["-c", `tail -c +6 "${c1z}" | zstd -d -q -o "${db}"`]);
  if (unpack.status !== 0) throw new Error(`zstd -d failed: ${unpack.stderr.toString()}`);
  const file = new Database(db);
  const removed = file.prepare("DELETE FROM v1_grants WHERE id % 10 = 0").run().changes;
  file.close();
  const pack = spawnSync("sh", [
    "-c",
    `{ printf 'C1ZF\\000'; zstd -1 -q -c "${db}"; } > "${dropped}"`,
  ]);
  if (pack.status !== 0) throw new Error(`zstd failed: ${pack.stderr.toString()}`);
  rmSync(db, { force: true });

  await api.call("POST", base, {
    connector: {
      config: {
        "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
        command: REPLAY,
        args: [],
        env: { REPLAY_C1Z: dropped },
        timeoutSeconds: 3600,
      },
      dataDropPolicy: { thresholdPercent: 5, minRows: 10 },
    },
    updateMask: "config,dataDropPolicy",
  });
  await api.call("POST", `${base}/force_sync`, {});
  let held: Lifecycle | undefined;
  const deadline = performance.now() + SYNC_TIMEOUT_MS;
  for (;;) {
    if (performance.now() > deadline) throw new Error("the held sync did not end");
    held = (await api.call<{ list: Lifecycle[] }>("GET", `${base}/syncs?page_size=1`)).list[0];
    if (held && !["QUEUED", "RUNNING"].includes(held.state)) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (held.state !== "ERRORED_NO_DATA") {
    throw new Error(
      `the second sync ended ${held.state}, not ERRORED_NO_DATA: ${held.error ?? ""}`,
    );
  }
  const heldIngestMs = Date.parse(held.finishedAt ?? "") - Date.parse(held.startedAt ?? "");
  log(`diff: sync ${held.id} held (${held.error ?? ""}); reading its diff`);

  const timed = async <T>(path: string): Promise<[T, number]> => {
    const started = performance.now();
    const body = await api.call<T>("GET", path);
    return [body, performance.now() - started];
  };
  type Page = { totals?: { grants: { removed: number } }; list: unknown[]; nextPageToken?: string };
  const diffPath = `${base}/syncs/${held.id}/diff`;
  const [first, firstPageMs] = await timed<Page>(`${diffPath}?page_size=100`);
  if (first.totals?.grants.removed !== removed) {
    throw new Error(
      `the diff counts ${first.totals?.grants.removed} removed grants, expected ${removed}`,
    );
  }
  const [, firstPageAgainMs] = await timed<Page>(`${diffPath}?page_size=100`);
  const pageMs: number[] = [];
  let rows = 0;
  let token: string | undefined;
  do {
    const query = `kind=grants&change=removed&page_size=500${token ? `&page_token=${token}` : ""}`;
    const [page, ms] = await timed<Page>(`${diffPath}?${query}`);
    pageMs.push(ms);
    rows += page.list.length;
    token = page.nextPageToken;
  } while (token);
  if (rows !== removed)
    throw new Error(`the pages hold ${rows} removed grants, expected ${removed}`);
  const sorted = [...pageMs].sort((a, b) => a - b);
  return {
    removed,
    heldIngestMs,
    firstPageMs,
    firstPageAgainMs,
    pages: pageMs.length,
    pageP50Ms: percentile(sorted, 50),
    pageP99Ms: percentile(sorted, 99),
    pageMaxMs: sorted[sorted.length - 1] ?? NaN,
    deepPageMs: pageMs[pageMs.length - 1] ?? NaN,
    deepPageIndex: pageMs.length,
  };
}

async function measureIngest(
  c1z: string,
  dir: string,
  expectedGrants: number,
  log: (text: string) => void,
  withDiff: boolean,
): Promise<Ingest> {
  const dataDir = join(dir, "data");
  const logPath = join(dir, "server.log");
  const server = await startServer(dataDir, logPath);
  const samples: Sample[] = [];
  const walPath = join(dataDir, "syncplane.db-wal");
  let walPeakBytes = 0;
  let runsPeakBytes = 0;
  const sampler = setInterval(() => {
    const status = readStatus(server.pid);
    if (status) samples.push({ at: Date.now(), rssBytes: status.rssBytes });
    walPeakBytes = Math.max(walPeakBytes, fileBytes(walPath));
    runsPeakBytes = Math.max(runsPeakBytes, runsBytes(join(dataDir, "runs")));
  }, SAMPLE_MS);
  let result: Omit<Ingest, "dataDirBytes">;
  try {
    const api = new Api(server.url);
    await api.login(dataDir);
    const { app } = await api.call<{ app: { id: string } }>("POST", "/api/v1/apps", {
      displayName: "bench",
    });
    // Settle, then note the idle server's footprint.
    await new Promise((r) => setTimeout(r, 500));
    const idleRssBytes = readStatus(server.pid)?.rssBytes ?? NaN;
    const cpuBefore = cpuMs(server.pid);

    const wallStart = performance.now();
    const created = await api.call<{ connectorView: { connector: { id: string } } }>(
      "POST",
      `/api/v1/apps/${app.id}/connectors/create`,
      {
        displayName: "c1z replay",
        catalogId: "baton",
        config: {
          "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
          command: REPLAY,
          args: [],
          env: { REPLAY_C1Z: c1z },
          timeoutSeconds: 3600,
        },
      },
    );
    const connectorId = created.connectorView.connector.id;
    const base = `/api/v1/apps/${app.id}/connectors/${connectorId}`;

    let sync: Lifecycle | undefined;
    let lastState = "";
    for (;;) {
      if (performance.now() - wallStart > SYNC_TIMEOUT_MS) {
        throw new Error(`the sync did not finish within ${SYNC_TIMEOUT_MS / 60000} min`);
      }
      const { list } = await api.call<{ list: Lifecycle[] }>("GET", `${base}/syncs?page_size=1`);
      sync = list[0];
      if (sync && sync.state !== lastState) {
        log(
          `sync ${sync.id}: ${sync.state} (attempt ${sync.attempt}) after ${secs(performance.now() - wallStart)}`,
        );
        lastState = sync.state;
      }
      if (sync?.state === "SUCCEEDED") break;
      // A retryable failure puts the sync back in the queue with its error: that is a failure too.
      if (
        sync &&
        (sync.attempt > 1 ||
          (sync.state === "QUEUED" && sync.error) ||
          ["ERRORED", "ERRORED_NO_DATA", "CANCELED"].includes(sync.state))
      ) {
        const { lines } = await api
          .call<{ lines: { message: string }[] }>("GET", `${base}/syncs/${sync.id}/log`)
          .catch(() => ({ lines: [] }));
        throw new Error(
          [
            `the sync ended ${sync.state} (attempt ${sync.attempt}): ${sync.error ?? "(no error)"}`,
            "sync log (last lines):",
            ...lines.slice(-10).map((l) => `  ${l.message}`),
            "server log (last lines):",
            ...tail(logPath, 10).map((l) => `  ${l}`),
          ].join("\n"),
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const wallMs = performance.now() - wallStart;
    const atSuccess = {
      dbBytes: fileBytes(join(dataDir, "syncplane.db")),
      walBytes: fileBytes(walPath),
      runsBytes: duBytes(join(dataDir, "runs")),
    };
    const cpu = cpuMs(server.pid) - cpuBefore;
    if (!sync.startedAt || !sync.finishedAt)
      throw new Error("the sync has no startedAt/finishedAt");
    const startedAt = Date.parse(sync.startedAt);
    const finishedAt = Date.parse(sync.finishedAt);
    const ingestMs = finishedAt - startedAt;

    if (sync.counts?.grants !== expectedGrants) {
      throw new Error(
        `the lifecycle counts ${sync.counts?.grants ?? "no"} grants, expected ${fmt(expectedGrants)}`,
      );
    }

    // When the replay connector reported its copy done: the rest is syncplane reading and storing.
    const { lines } = await api.call<{ lines: { at: string; message: string }[] }>(
      "GET",
      `${base}/syncs/${sync.id}/log`,
    );
    const copied = lines.find((l) => l.message.includes("replay-connector: copied"));
    const connectorDoneAt = copied ? Date.parse(copied.at) : null;

    // Spot checks of the inventory API on the applied sync.
    const started = performance.now();
    const grants = await api.call<{ list: unknown[] }>(
      "GET",
      `${base}/inventory/grants?page_size=5`,
    );
    const grantsPageMs = performance.now() - started;
    if (grants.list.length !== 5) {
      throw new Error(`inventory/grants?page_size=5 returned ${grants.list.length} grants`);
    }
    const types = await api.call<{ list: { id: string }[] }>(
      "GET",
      `${base}/inventory/resource_types`,
    );

    // Peak RSS over the server's whole life, read right before the diff phase.
    const end = readStatus(server.pid);
    const peakRssBytes = end?.hwmBytes ?? NaN;
    clearInterval(sampler);
    const diff = withDiff ? await measureDiff(api, base, c1z, dir, log) : null;

    const during = samples.filter((s) => s.at >= startedAt && s.at <= finishedAt);
    const sorted = during.map((s) => s.rssBytes).sort((a, b) => a - b);
    const rssByTenth = Array.from({ length: 10 }, (_, i) => {
      const from = startedAt + (i * ingestMs) / 10;
      const to = startedAt + ((i + 1) * ingestMs) / 10;
      return Math.max(0, ...during.filter((s) => s.at >= from && s.at < to).map((s) => s.rssBytes));
    });
    const maxIn = (from: number, to: number) => {
      const picked = during.filter((s) => s.at >= from && s.at <= to).map((s) => s.rssBytes);
      return picked.length > 0 ? Math.max(...picked) : null;
    };
    result = {
      ingestMs,
      wallMs,
      connectorMs: connectorDoneAt === null ? null : connectorDoneAt - startedAt,
      diff,
      phases: lines
        .map((l) => l.message)
        .filter((m) => / in \d+\.\d\d s/.test(m) && !m.startsWith("replay-connector")),
      idleRssBytes,
      peakRssBytes,
      rssP50Bytes: percentile(sorted, 50),
      rssMaxSampledBytes: sorted[sorted.length - 1] ?? NaN,
      rssByTenth,
      rssConnectorMaxBytes: connectorDoneAt === null ? null : maxIn(startedAt, connectorDoneAt),
      rssReadStoreMaxBytes: connectorDoneAt === null ? null : maxIn(connectorDoneAt, finishedAt),
      cpuMs: cpu,
      counts: sync.counts,
      grantsPageMs,
      grantsPageRows: grants.list.length,
      resourceTypes: types.list.map((t) => t.id),
      end,
      walPeakBytes,
      runsPeakBytes,
      atSuccess,
    };
  } finally {
    clearInterval(sampler);
    await stopServer(server);
  }
  return { ...result, dataDirBytes: duBytes(dataDir) };
}

interface Baton {
  available: boolean;
  reason?: string;
  grantsMs?: number;
  statsMs?: number;
}

async function measureBaton(c1z: string, dir: string): Promise<Baton> {
  const gobin = join(dir, "gobin");
  mkdirSync(gobin, { recursive: true });
  const install = await new Promise<Timed>((resolvePromise) => {
    const started = performance.now();
    const child = spawn("go", ["install", BATON_MODULE], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, GOTOOLCHAIN: "local", GOBIN: gobin },
      timeout: GO_INSTALL_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    child.once("error", (error) =>
      resolvePromise({ ms: performance.now() - started, code: -1, stderr: error.message }),
    );
    child.once("close", (code, signal) =>
      resolvePromise({
        ms: performance.now() - started,
        code,
        stderr: signal === "SIGKILL" ? `timed out after ${GO_INSTALL_TIMEOUT_MS / 1000} s` : stderr,
      }),
    );
  });
  const binary = join(gobin, "baton");
  if (install.code !== 0 || !existsSync(binary)) {
    return { available: false, reason: `go install failed: ${firstLine(install.stderr)}` };
  }
  const grants = await timed(binary, ["grants", "-f", c1z, "-o", "json"]);
  if (grants.code !== 0) {
    return { available: false, reason: `baton grants failed: ${firstLine(grants.stderr)}` };
  }
  const stats = await timed(binary, ["stats", "-f", c1z]);
  return {
    available: true,
    grantsMs: grants.ms,
    statsMs: stats.code === 0 ? stats.ms : undefined,
    reason: stats.code === 0 ? undefined : `baton stats failed: ${firstLine(stats.stderr)}`,
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      grants: { type: "string" },
      c1z: { type: "string" },
      keep: { type: "boolean" },
      "no-build": { type: "boolean" },
      "no-diff": { type: "boolean" },
    },
  });
  const grantsWanted = Number((values.grants ?? "1000000").replace(/[_,]/g, ""));
  if (!Number.isInteger(grantsWanted) || grantsWanted < 1) throw new Error("--grants N, N ≥ 1");
  const dir = mkdtempSync(join(tmpdir(), "syncplane-c1z-bench-"));
  const say = (text: string) => console.log(`· ${text}`);
  try {
    accessSync(REPLAY, constants.X_OK);
  } catch {
    chmodSync(REPLAY, 0o755);
  }

  try {
    console.log(
      `\nc1z-ingest: Node ${process.version}, ${availableParallelism()} cores, temp dir ${dir}\n`,
    );
    if (!values["no-build"]) {
      say("npm run build (the server runs the compiled dist/)");
      const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8" });
      if (build.status !== 0) {
        throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
      }
    }

    // 1. The file.
    let c1z: string;
    let generated: Awaited<ReturnType<typeof generateC1z>> | null = null;
    if (values.c1z) {
      c1z = resolve(values.c1z);
      say(`using ${c1z}`);
    } else {
      c1z = join(dir, "bench.c1z");
      say(`generating a c1z with ${fmt(grantsWanted)} grants`);
      generated = await generateC1z({ path: c1z, totalGrants: grantsWanted, tmpDir: dir });
    }
    const c1zBytes = statSync(c1z).size;

    // 2. The floors.
    say("floor: zstd -d, SQLite scans, cp");
    const floor = await measureFloor(c1z, dir);
    const expectedGrants = generated ? generated.counts.grants : floor.grantsInFile;

    // 3. syncplane.
    say("syncplane: server, baton connector replaying the file, initial sync");
    const ingest = await measureIngest(c1z, dir, expectedGrants, say, !values["no-diff"]);

    // 4. baton.
    say(
      `baton CLI: go install ${BATON_MODULE} (GOTOOLCHAIN=local, ${GO_INSTALL_TIMEOUT_MS / 1000} s limit)`,
    );
    const baton = await measureBaton(c1z, dir);

    // ------------------------------------------------------------------------------------------
    const floorMs = floor.zstdNullMs + floor.countMs;
    const readFloorMs = floor.zstdFileMs + floor.scanMs;
    const storeMs = ingest.connectorMs === null ? null : ingest.ingestMs - ingest.connectorMs;

    console.log(`\nfile`);
    line("c1z", `${c1z}${generated ? " (generated)" : ""}`);
    line("size", `${mib(c1zBytes)} (${fmt(c1zBytes)} B)`);
    line(
      "decompressed (SQLite)",
      `${mib(floor.decompressedBytes)} (${(floor.decompressedBytes / c1zBytes).toFixed(1)}× the c1z)`,
    );
    if (generated) {
      const c = generated.counts;
      line(
        "rows",
        `${fmt(c.resources)} resources, ${fmt(c.entitlements)} entitlements, ${fmt(c.grants)} grants`,
      );
      line(
        "generation",
        `${secs(generated.timings.totalMs)} (rows ${secs(generated.timings.rowsMs)}, indexes ${secs(generated.timings.indexMs)}, zstd ${secs(generated.timings.compressMs)})`,
      );
    } else {
      line("grants in the file (all runs)", fmt(floor.grantsInFile));
    }

    console.log(`\nfloor (same file, same run; medians of ${FLOOR_RUNS})`);
    line("zstd -d → /dev/null", secs(floor.zstdNullMs));
    line("zstd -d → file", secs(floor.zstdFileMs));
    line("SELECT count(*) FROM v1_grants", secs(floor.countMs));
    line("read every grant row (better-sqlite3, 4 columns)", secs(floor.scanMs));
    line("cp of the c1z (the replay connector's work)", secs(floor.copyMs));

    console.log(`\nsyncplane (server process, baton connector replaying the file)`);
    line("ingest: startedAt → finishedAt", secs(ingest.ingestMs));
    if (ingest.connectorMs !== null && storeMs !== null) {
      line("  connector run (start → its copy done)", secs(ingest.connectorMs));
      line("  read c1z + store + apply (after the copy)", secs(storeMs));
    }
    for (const phase of ingest.phases) console.log(`    sync log: ${phase}`);
    line("wall: connector created → SUCCEEDED seen", secs(ingest.wallMs));
    line(
      "server CPU (user + system) over that time",
      `${secs(ingest.cpuMs)} (${((ingest.cpuMs / ingest.wallMs) * 100).toFixed(0)}% of one core)`,
    );
    line("grants per second (ingest)", fmt(Math.round((expectedGrants / ingest.ingestMs) * 1000)));
    line("RSS idle before the sync", mb(ingest.idleRssBytes));
    line(
      "RSS during the ingest, p50 / max (100 ms)",
      `${mb(ingest.rssP50Bytes)} / ${mb(ingest.rssMaxSampledBytes)}`,
    );
    if (ingest.rssReadStoreMaxBytes !== null) {
      line(
        "RSS max: connector run / read + store",
        `${ingest.rssConnectorMaxBytes === null ? "(no sample)" : mb(ingest.rssConnectorMaxBytes)} / ${mb(ingest.rssReadStoreMaxBytes)}`,
      );
    }
    line(
      "RSS max per tenth of the ingest (MB)",
      ingest.rssByTenth.map((b) => (b / 1e6).toFixed(0)).join(" "),
    );
    if (ingest.end) {
      line(
        "RSS after the sync: anon / file / shmem",
        `${mb(ingest.end.anonBytes)} / ${mb(ingest.end.fileBytes)} / ${mb(ingest.end.shmemBytes)}`,
      );
    }
    line(
      "peak RSS (VmHWM, whole server life)",
      `${mb(ingest.peakRssBytes)} (${mib(ingest.peakRssBytes)})`,
    );
    line(
      "lifecycle counts",
      `${fmt(ingest.counts?.grants ?? 0)} grants, ${fmt(ingest.counts?.entitlements ?? 0)} entitlements, ${fmt(Object.values(ingest.counts?.resources ?? {}).reduce((a, b) => a + b, 0))} resources`,
    );
    line(
      "inventory spot check",
      `grants?page_size=5 → ${ingest.grantsPageRows} in ${ingest.grantsPageMs.toFixed(0)} ms; resource_types → ${ingest.resourceTypes.join(", ")}`,
    );
    line(
      "store at SUCCEEDED: syncplane.db / its WAL / runs/",
      `${mib(ingest.atSuccess.dbBytes)} / ${mib(ingest.atSuccess.walBytes)} / ${mib(ingest.atSuccess.runsBytes)}`,
    );
    line("store WAL, largest seen during the sync", mib(ingest.walPeakBytes));
    line("run dir (c1z + decompressed copy), largest seen", mib(ingest.runsPeakBytes));
    line("data dir after stop (store + kept c1z)", mib(ingest.dataDirBytes));

    if (ingest.diff) {
      const d = ingest.diff;
      const ms = (value: number) => `${value.toFixed(1)} ms`;
      console.log(`\ndata-drop diff (a second sync without every tenth grant, held under 5%)`);
      line("held sync: startedAt → finishedAt", secs(d.heldIngestMs));
      line("removed grants", fmt(d.removed));
      line("first page (works the diff out), page_size 100", ms(d.firstPageMs));
      line("first page again (worked out)", ms(d.firstPageAgainMs));
      line(
        `removed grants, 500 a page: ${fmt(d.pages)} pages`,
        `p50 ${ms(d.pageP50Ms)}, p99 ${ms(d.pageP99Ms)}, max ${ms(d.pageMaxMs)}`,
      );
      line(`deep page (page ${fmt(d.deepPageIndex)}, the last)`, ms(d.deepPageMs));
    }

    console.log(`\nbaton CLI`);
    if (baton.available && baton.grantsMs !== undefined) {
      line("baton grants -f <c1z> -o json > /dev/null", secs(baton.grantsMs));
      line(
        "baton stats -f <c1z>",
        baton.statsMs === undefined ? (baton.reason ?? "") : secs(baton.statsMs),
      );
    } else {
      console.log(`  baton CLI: not available (${baton.reason}) — ratio not measured`);
    }

    const rssMet = ingest.peakRssBytes <= RSS_GOAL_BYTES;
    console.log(`\nsummary (${fmt(expectedGrants)} grants)`);
    line("syncplane ingest", secs(ingest.ingestMs));
    if (ingest.diff) {
      line(
        "diff: first page / deep page",
        `${secs(ingest.diff.firstPageMs)} / ${ingest.diff.deepPageMs.toFixed(1)} ms`,
      );
    }
    line(
      "peak RSS of the server (goal ≤ 500 MB)",
      `${mb(ingest.peakRssBytes)} — ${rssMet ? "met" : "NOT met"}`,
    );
    line(
      "floor: zstd -d → /dev/null + count(*)",
      `${secs(floorMs)} → ingest = ${times(ingest.ingestMs / floorMs)} the floor`,
    );
    line(
      "read floor: zstd -d → file + row scan",
      `${secs(readFloorMs)} → ingest = ${times(ingest.ingestMs / readFloorMs)} it`,
    );
    if (baton.available && baton.grantsMs !== undefined) {
      const ratio = baton.grantsMs / ingest.ingestMs;
      line(
        "baton grants / syncplane ingest (goal ≥ 1×)",
        `${times(ratio)} — ${ratio >= 1 ? "met" : "NOT met"}`,
      );
    } else {
      line("baton / syncplane (goal ≥ 1×)", "not measured (baton CLI not available)");
    }
    console.log("");
  } finally {
    if (values.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
