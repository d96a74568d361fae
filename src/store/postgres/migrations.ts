// Applies the numbered migrations in ./migrations (see ../migrate.ts) in one transaction under
// a transaction-level advisory lock: nodes that start together migrate once, one after the
// other (the later ones find nothing left to do); a database that has a migration this build
// does not know is refused, as on SQLite.

import type pg from "pg";
import { loadMigrations, pendingMigrations } from "../migrate.js";

const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** The advisory lock key syncplane migrates under (any constant; "sync" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x73796e63;

/** Migrations may take long (or wait long for another node's): no client-side read timeout. */
const NO_READ_TIMEOUT = 24 * 3600_000;

export async function migrate(client: pg.ClientBase): Promise<void> {
  const run = (text: string, values?: unknown[]) =>
    client.query({ text, values, query_timeout: NO_READ_TIMEOUT } as pg.QueryConfig);
  await run("BEGIN");
  try {
    // A long migration, or waiting for another node's, is not a stuck statement.
    await run("SET LOCAL statement_timeout = 0");
    await run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,
         name text NOT NULL, applied_at bigint NOT NULL)`,
    );
    const applied = (await run("SELECT version FROM schema_migrations")).rows.map(
      (row: { version: unknown }) => Number(row.version),
    );
    for (const migration of pendingMigrations(loadMigrations(MIGRATIONS), applied)) {
      await run(migration.sql);
      await run("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        Date.now(),
      ]);
    }
    await run("COMMIT");
  } catch (error) {
    await run("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
