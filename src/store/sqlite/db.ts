// The SQLite connection: pragmas, and the prepared-statement cache every concern file's
// queries go through (better-sqlite3 is synchronous; a statement is prepared once per SQL text).

import Database from "better-sqlite3";
import type { Row } from "../rows.js";

export type Connection = Database.Database;

export function openConnection(path: string, readonly: boolean): Connection {
  const db = new Database(path, { readonly: false, fileMustExist: readonly });
  db.pragma("journal_mode = WAL");
  // NORMAL in WAL mode survives a crash or kill -9 of the process; only an OS crash or power
  // loss can lose the last transactions.
  db.pragma("synchronous = NORMAL");
  // Waiting for another process's write lock blocks the event loop (better-sqlite3 is
  // synchronous); other writers (the offline CLI) hold it for milliseconds.
  db.pragma("busy_timeout = 5000");
  // Checkpoints run on a worker thread (checkpointer.ts), not inside request commits.
  db.pragma("wal_autocheckpoint = 0");
  // 64 MiB of page cache per connection (the default is 2 MiB).
  db.pragma("cache_size = -65536");
  // Each command runs in a SAVEPOINT; keep its undo (sub-)journal in memory, not in a temp file.
  db.pragma("temp_store = MEMORY");
  db.pragma("foreign_keys = ON");
  if (readonly) db.pragma("query_only = ON");
  return db;
}

/** Runs SQL on one connection through cached prepared statements. */
export class SqliteDb {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly connection: Connection) {}

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  one(sql: string, ...params: unknown[]): Row | undefined {
    return this.stmt(sql).get(...params) as Row | undefined;
  }

  all(sql: string, ...params: unknown[]): Row[] {
    return this.stmt(sql).all(...params) as Row[];
  }

  /** Runs a write; returns how many rows it changed. */
  run(sql: string, ...params: unknown[]): number {
    return this.stmt(sql).run(...params).changes;
  }
}
