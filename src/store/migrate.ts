// Numbered migrations: files named NNNN_name.sql in a backend's migrations folder, applied in
// order at start-up, each in its own transaction, recorded in schema_migrations. A database
// that has a migration this build does not know was written by a newer syncplane: refuse it.

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function loadMigrations(folder: URL): Migration[] {
  const dir = fileURLToPath(folder);
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(`${dir}/${file}`, "utf8"),
    }));
}

export function pendingMigrations(
  all: readonly Migration[],
  applied: readonly number[],
): Migration[] {
  const known = new Set(all.map((migration) => migration.version));
  const unknown = applied.filter((version) => !known.has(version));
  if (unknown.length > 0) {
    throw new Error(
      `the database has migration(s) ${unknown.join(", ")} that this syncplane does not know; it was written by a newer version — upgrade syncplane or use another data dir`,
    );
  }
  const done = new Set(applied);
  return all.filter((migration) => !done.has(migration.version));
}
