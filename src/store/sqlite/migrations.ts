// Applies the numbered migrations in ./migrations (see ../migrate.ts) in one immediate
// transaction: two processes opening the same file migrate once.

import { loadMigrations, pendingMigrations } from "../migrate.js";
import type { Row } from "../rows.js";
import type { Connection } from "./db.js";

const MIGRATIONS = new URL("./migrations/", import.meta.url);

export function migrate(db: Connection): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const apply = db.transaction(() => {
    const applied = (db.prepare("SELECT version FROM schema_migrations").all() as Row[]).map(
      (row) => Number(row.version),
    );
    for (const migration of pendingMigrations(loadMigrations(MIGRATIONS), applied)) {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
  });
  apply.immediate();
}
