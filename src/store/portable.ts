// SQL that is the same on both backends (row values, ON CONFLICT DO NOTHING, RETURNING,
// correlated subqueries) is written once, with `?` placeholders, against this much of a
// backend's query helpers: SQLite answers at once, PostgreSQL later; `await` serves both.

import type { Row } from "./rows.js";

export interface PortableSql {
  one(sql: string, ...params: unknown[]): Row | undefined | Promise<Row | undefined>;
  all(sql: string, ...params: unknown[]): Row[] | Promise<Row[]>;
  run(sql: string, ...params: unknown[]): number | Promise<number>;
}

export interface Dialect {
  /** Rewrites `?` placeholders for the backend. */
  readonly placeholders: (sql: string) => string;
  /** Appended to a read that must keep a row from being deleted meanwhile ("" on SQLite). */
  readonly forShare: string;
  /** Appended to a read of rows this transaction will change ("" on SQLite). */
  readonly forUpdate: string;
  /** Appended to a claim's read: rows other transactions hold are skipped ("" on SQLite). */
  readonly skipLocked: string;
}

/** Numbers `?` placeholders as $1, $2, … (PostgreSQL). */
export const dollarPlaceholders = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export const SQLITE_DIALECT: Dialect = {
  placeholders: (sql) => sql,
  forShare: "",
  forUpdate: "",
  skipLocked: "",
};

export const POSTGRES_DIALECT: Dialect = {
  placeholders: dollarPlaceholders,
  forShare: "FOR SHARE",
  forUpdate: "FOR UPDATE",
  skipLocked: "FOR UPDATE SKIP LOCKED",
};

/** `?, ?, ?` for a list of `n` values. */
export const marks = (n: number): string => Array.from({ length: n }, () => "?").join(", ");
