// Opens the configured store: the embedded SQLite file under the data dir (the default), or
// PostgreSQL when a database URL is configured. Asynchronous because a networked backend
// connects and migrates before it can serve.

import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import type { StoreConfig } from "../config/config.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export const SQLITE_FILE = "syncplane.db";

export async function openStore(config: StoreConfig): Promise<Store> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // The data dir is made either way (local files live there); the records go to PostgreSQL.
  if (config.databaseUrl) {
    return PostgresStore.open(config.databaseUrl, { poolSize: config.databasePoolSize });
  }
  const path = join(config.dataDir, SQLITE_FILE);
  // Create the file owner-only before SQLite does: it holds credential and token hashes, and
  // SQLite gives its -wal and -shm files the same mode.
  closeSync(openSync(path, "a", 0o600));
  return SqliteStore.open(path);
}
