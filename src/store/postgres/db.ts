// The PostgreSQL connection pool, and the query helpers every concern file's queries go through
// (the async counterpart of ../sqlite/db.ts: SQL with $1… placeholders; one/all/run).
//
// Value types: int8 (bigint) columns, which hold every time (epoch milliseconds), sequence and
// count, are parsed to JS numbers by this pool (pg's default is a string). Every such value
// syncplane stores is far below 2^53, so the conversion is exact. Flags are smallint 0/1 and JSON
// is text, as on SQLite, so the shared row mappers (../rows.ts) read both backends alike.
//
// Failures of the connection itself (server restarted or shut down, connection refused or
// reset, timeouts) become AppError UNAVAILABLE ("the database is unavailable: …"), never a crash:
// a broken client is dropped by the pool and the next call gets a new connection.

import { createHash } from "node:crypto";
import pg from "pg";
import { AppError } from "../../domain/errors.js";
import type { Row } from "../rows.js";

export interface PoolOptions {
  /** Most connections open at once (default 10). */
  readonly poolSize?: number;
  /** The server cancels a statement that runs longer (default 30 s). */
  readonly statementTimeoutMs?: number;
  /** The server ends a session idle inside a transaction for longer (default 60 s). */
  readonly idleInTransactionTimeoutMs?: number;
  /** Waiting longer for a connection (new or from the pool) fails UNAVAILABLE (default 10 s). */
  readonly connectionTimeoutMs?: number;
  /** Told of connection failures the pool absorbed (a dropped idle connection…). */
  readonly onConnectionError?: (error: Error) => void;
}

const DEFAULTS = {
  poolSize: 10,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 60_000,
  connectionTimeoutMs: 10_000,
} as const;

const INT8_OID = 20;

/** int8 → number (see the top of this file); every other type as pg parses it. */
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The most connections a pool made with `options` opens. */
export const poolSizeOf = (options: PoolOptions): number => options.poolSize ?? DEFAULTS.poolSize;

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const statementTimeout = options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSizeOf(options),
    // Sent in the startup packet: set for every connection, before its first statement.
    statement_timeout: statementTimeout,
    idle_in_transaction_session_timeout:
      options.idleInTransactionTimeoutMs ?? DEFAULTS.idleInTransactionTimeoutMs,
    // A reply that never comes (a dead peer behind a silent network) fails the call rather than
    // hanging it; the server's own statement timeout fires first when the server is alive.
    query_timeout: statementTimeout + 10_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
    keepAlive: true,
    application_name: "syncplane",
    types: TYPES,
  });
  const told = options.onConnectionError ?? (() => undefined);
  // An idle client whose connection dies is removed by the pool, which then emits "error":
  // without a listener that would crash the process.
  pool.on("error", (error) => told(error));
  // A checked-out client whose connection dies between statements emits "error" on itself; the
  // statement that next uses it fails instead, and the client is destroyed on release.
  pool.on("connect", (client) => {
    client.on("error", () => undefined);
  });
  return pool;
}

// SQLSTATE classes and codes that mean the connection (not the statement) failed.
const CONNECTION_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "25P03"]);
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /^Connection timeout/,
  /the database system is (starting up|shutting down|in recovery mode)/,
];

/** Whether `error` says the connection failed (the statement may or may not have run). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof AppError) return error.codeName === "UNAVAILABLE";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code.startsWith("08") || CONNECTION_SQLSTATES.has(code)) return true;
    if (CONNECTION_ERRNOS.has(code)) return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** The client already knew its connection was dead: the statement was never sent. */
export const isUnsent = (error: unknown): boolean =>
  error instanceof Error && /not queryable/.test(error.message);

/** The SQLSTATE of a server error, if `error` is one. */
export const sqlState = (error: unknown): string | undefined =>
  error instanceof pg.DatabaseError ? error.code : undefined;

/** Waiting for a free pool connection timed out: the pool is busy, not the database gone. */
export const isPoolTimeout = (error: unknown): boolean =>
  error instanceof Error && /^timeout exceeded when trying to connect/.test(error.message);

/** Removes credentials from a message (a connection string in it, or the password itself). */
export function redact(message: string, password: string): string {
  let text = message.replace(/(postgres(?:ql)?:\/\/)[^@/\s]*@/gi, "$1***@");
  if (password.length >= 4) text = text.split(password).join("***");
  return text;
}

/** The error a call reports when the database cannot be reached or dropped the connection. */
export function unavailable(error: unknown, password: string, detail = ""): AppError {
  if (error instanceof AppError && error.codeName === "UNAVAILABLE") return error;
  const reason = error instanceof Error ? error.message || error.name : String(error);
  const code = sqlState(error) ?? (error as { code?: unknown } | null)?.code;
  const tag = typeof code === "string" && !reason.includes(code) ? ` (${code})` : "";
  return new AppError(
    "UNAVAILABLE",
    redact(`the database is unavailable: ${detail}${reason}${tag}`, password),
    // API answers do not name the database's address or the driver's words.
    detail === ""
      ? "the database is unavailable; retry shortly"
      : `the database is unavailable: ${detail}read before retrying`,
  );
}

/** What one/all/run run on: the pool (each call on any free connection) or one client. */
export interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

/** The most distinct statement texts prepared; later ones run unnamed (parsed every time). */
const MAX_PREPARED = 2_000;
const preparedNames = new Map<string, string>();

/**
 * The statement as a named prepared statement: each connection parses and plans it once and
 * then only binds and executes it (a queue's hot statements run thousands of times a second).
 * The name is derived from the text, so one name never stands for two texts. syncplane's SQL
 * texts are fixed (values always travel as parameters), so the set stays small; past
 * MAX_PREPARED distinct texts a statement runs unnamed.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = preparedNames.get(text);
  if (name === undefined) {
    if (preparedNames.size >= MAX_PREPARED) return { text, values };
    name = `sp_${createHash("sha256").update(text).digest("base64url").slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return { name, text, values };
}

/** Runs SQL on a pool or on one client. */
export class PgDb {
  /**
   * @param target where statements run
   * @param onError sees every failed statement (the transaction runner tracks them)
   */
  constructor(
    private target: Queryable,
    private onError: (error: unknown) => unknown = (error) => error,
  ) {}

  /**
   * Points this object (and every query function built on it) at another connection: a
   * transaction object is built once and lent to one transaction at a time.
   */
  bind(target: Queryable, onError: (error: unknown) => unknown): void {
    this.target = target;
    this.onError = onError;
  }

  private async query(sql: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.target.query(prepared(sql, params));
    } catch (error) {
      throw this.onError(error);
    }
  }

  async one(sql: string, ...params: unknown[]): Promise<Row | undefined> {
    return (await this.query(sql, params)).rows[0] as Row | undefined;
  }

  async all(sql: string, ...params: unknown[]): Promise<Row[]> {
    return (await this.query(sql, params)).rows as Row[];
  }

  /** Runs a write; returns how many rows it changed. */
  async run(sql: string, ...params: unknown[]): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }
}

/**
 * Reads on the pool. A statement that failed because its pooled connection had died (the server
 * restarted, or ended it) is tried again on another connection: a read changes nothing, so
 * repeating it is safe, and every dead connection is dropped as it is found, so after at most
 * `poolSize` of them a new one is made. A connection that cannot be made is reported at once.
 * Connection failures reach the caller as UNAVAILABLE.
 */
export function poolQueryable(pool: pg.Pool, password: string, poolSize: number): Queryable {
  return {
    async query(config) {
      for (let stale = 0; ; stale++) {
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (error) {
          throw isConnectionError(error) ? unavailable(error, password) : error;
        }
        try {
          const result = await client.query(config);
          client.release();
          return result;
        } catch (error) {
          const lost = isConnectionError(error);
          client.release(lost ? true : undefined);
          if (!lost) throw error;
          if (stale >= poolSize) throw unavailable(error, password);
        }
      }
    },
  };
}
