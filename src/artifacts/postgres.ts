// Artifacts shared through PostgreSQL (with `--database-url`): every node of a deployment reads
// and writes the same files, kept as chunks in the database the store uses (tables from
// src/store/postgres/migrations/0006_artifacts.sql), through a small pool of its own.
//
// Files are streamed both ways, a chunk at a time, never whole in memory:
// - a c1z is copied in as CHUNK_BYTES chunks under an incomplete row, then made visible in one
//   transaction (marked complete; the c1z it replaces dropped). A failure deletes what was
//   written; a node that died meanwhile leaves an incomplete row, swept by prune() once it has
//   not grown for STALE_PART_MS.
// - a log buffers lines and appends them as one chunk every LOG_FLUSH_MS, or sooner when
//   LOG_FLUSH_BYTES are waiting, and on close: a log being written is readable up to its last
//   flush. Each append bumps the file's size and chunk count and inserts the chunk in one
//   statement; the row lock orders concurrent appenders.
// - a read resolves the file once, then fetches its chunks one query each, as the reader pulls.

import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { prepared } from "../store/postgres/db.js";
import type { StoreReader } from "../store/store.js";
import {
  ArtifactNotFoundError,
  checkId,
  DEFAULT_ARTIFACT_RETENTION,
  parseLogLines,
  pruneSyncFiles,
  SyncLog,
  TASK_LOG_RETENTION,
  type Artifacts,
  type LogLine,
  type SyncFileKind,
} from "./artifacts.js";

/** The size of a c1z's chunks. */
export const CHUNK_BYTES = 1024 * 1024;
/** A log appends what it buffered once this much is waiting… */
export const LOG_FLUSH_BYTES = 64 * 1024;
/** …or this long after the first line of the buffer was written. */
export const LOG_FLUSH_MS = 1000;
/** An incomplete c1z that has not grown for this long was left by a node that died. */
export const STALE_PART_MS = 60 * 60 * 1000;
/** The first key of the advisory locks that order two c1z replacing the same sync's. */
const KEEP_LOCK_KEY = 0x61727466; // "artf"

type FileKind = SyncFileKind | "task_log";

interface FileRow {
  readonly id: number;
  readonly size: number;
  readonly chunks: number;
}

export interface PostgresArtifactsOptions {
  readonly retention?: number;
  /** Most connections open at once (default 4). */
  readonly poolSize?: number;
  /** The server cancels a statement that runs longer (default 60 s). */
  readonly statementTimeoutMs?: number;
  /** Waiting longer for a connection fails the call (default 10 s). */
  readonly connectionTimeoutMs?: number;
}

export class PostgresArtifacts implements Artifacts {
  readonly backend = "postgres";

  private constructor(
    private readonly pool: pg.Pool,
    readonly retention: number,
  ) {}

  /**
   * Connects to the database at `url` (whose migrations the PostgreSQL store applied) and checks
   * that the artifact tables are there.
   */
  static async open(
    url: string,
    options: PostgresArtifactsOptions = {},
  ): Promise<PostgresArtifacts> {
    const statementTimeout = options.statementTimeoutMs ?? 60_000;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 4,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + 10_000,
      idle_in_transaction_session_timeout: 60_000,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      keepAlive: true,
      application_name: "syncplane-artifacts",
    });
    // A connection that dies while idle (or between statements) must not crash the process; the
    // next statement on it fails instead, and the pool drops it.
    pool.on("error", () => undefined);
    pool.on("connect", (client) => {
      client.on("error", () => undefined);
    });
    try {
      await pool.query("SELECT 1 FROM artifact_files LIMIT 0");
    } catch (error) {
      await pool.end().catch(() => undefined);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`the shared file store is not usable: ${redact(reason, url)}`);
    }
    return new PostgresArtifacts(pool, options.retention ?? DEFAULT_ARTIFACT_RETENTION);
  }

  async size(connectorId: string, syncId: string, kind: SyncFileKind): Promise<number | null> {
    return (await this.find(connectorId, kind, syncId))?.size ?? null;
  }

  read(connectorId: string, syncId: string, kind: SyncFileKind): Readable {
    checkId("connector", connectorId);
    checkId("sync", syncId);
    const chunks = async function* (self: PostgresArtifacts) {
      const file = await self.find(connectorId, kind, syncId);
      if (!file) throw notKept(connectorId, syncId, kind);
      yield* self.chunksOf(file);
    };
    // Byte mode with the default high-water mark: the file is looked up on the first read, and
    // one chunk is fetched at a time, when the reader has taken the previous one.
    return Readable.from(chunks(this), { objectMode: false });
  }

  async copyTo(
    connectorId: string,
    syncId: string,
    kind: SyncFileKind,
    path: string,
  ): Promise<boolean> {
    const file = await this.find(connectorId, kind, syncId);
    if (!file) return false;
    await pipeline(
      Readable.from(this.chunksOf(file), { objectMode: false }),
      createWriteStream(path, { mode: 0o600 }),
    );
    return true;
  }

  async keepC1z(connectorId: string, syncId: string, source: string): Promise<void> {
    checkId("connector", connectorId);
    checkId("sync", syncId);
    const now = Date.now();
    const { rows } = await this.pool.query(
      prepared(
        `INSERT INTO artifact_files (connector_id, kind, item_id, complete, created_at, updated_at)
       VALUES ($1, 'c1z', $2, false, $3, $3) RETURNING id`,
        [connectorId, syncId, now],
      ),
    );
    const id = Number((rows[0] as { id: unknown }).id);
    try {
      for await (const chunk of createReadStream(source, { highWaterMark: CHUNK_BYTES })) {
        if (!(await this.append(id, chunk as Buffer))) throw removedWhileWritten(syncId);
      }
      await this.transaction(async (client) => {
        await client.query(
          prepared("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
            KEEP_LOCK_KEY,
            `${connectorId}/${syncId}`,
          ]),
        );
        await client.query(
          prepared(
            `DELETE FROM artifact_files
           WHERE connector_id = $1 AND kind = 'c1z' AND item_id = $2 AND complete`,
            [connectorId, syncId],
          ),
        );
        const shown = await client.query(
          prepared("UPDATE artifact_files SET complete = true, updated_at = $2 WHERE id = $1", [
            id,
            Date.now(),
          ]),
        );
        if (shown.rowCount !== 1) throw removedWhileWritten(syncId);
      });
    } catch (error) {
      await this.pool
        .query(prepared("DELETE FROM artifact_files WHERE id = $1", [id]))
        .catch(() => {
          // left incomplete: prune() sweeps it once it is stale
        });
      throw error;
    }
    await rm(source, { force: true });
  }

  async openLog(
    connectorId: string,
    syncId: string,
    attempt: number,
    onError?: (error: Error) => void,
  ): Promise<SyncLog> {
    const log = await this.openAppending(connectorId, "log", checkId("sync", syncId), onError);
    log.write({
      at: Date.now(),
      stream: "syncplane",
      level: "info",
      message: `attempt ${attempt} started`,
    });
    return log;
  }

  openTaskLog(
    connectorId: string,
    taskId: string,
    onError?: (error: Error) => void,
  ): Promise<SyncLog> {
    return this.openAppending(connectorId, "task_log", checkId("task", taskId), onError);
  }

  readLog(connectorId: string, syncId: string): Promise<LogLine[]> {
    return this.readLines(connectorId, "log", syncId);
  }

  readTaskLog(connectorId: string, taskId: string): Promise<LogLine[]> {
    return this.readLines(connectorId, "task_log", taskId);
  }

  async prune(store: StoreReader, connectorId: string): Promise<number> {
    checkId("connector", connectorId);
    // Parts of files whose writer vanished go first, in the same statement.
    const { rows } = await this.pool.query(
      prepared(
        `WITH stale AS (
           DELETE FROM artifact_files
           WHERE connector_id = $1 AND NOT complete AND updated_at < $2)
         SELECT DISTINCT item_id FROM artifact_files
         WHERE connector_id = $1 AND kind IN ('c1z', 'log') AND complete`,
        [connectorId, Date.now() - STALE_PART_MS],
      ),
    );
    const syncIds = rows.map((row: { item_id: string }) => row.item_id);
    return pruneSyncFiles(store, connectorId, syncIds, this.retention, async (syncId) => {
      await this.pool.query(
        prepared(
          `DELETE FROM artifact_files
         WHERE connector_id = $1 AND kind IN ('c1z', 'log') AND item_id = $2 AND complete`,
          [connectorId, syncId],
        ),
      );
    });
  }

  async pruneTaskLogs(connectorId: string): Promise<number> {
    checkId("connector", connectorId);
    const result = await this.pool.query(
      prepared(
        `DELETE FROM artifact_files WHERE id IN (
         SELECT id FROM artifact_files
         WHERE connector_id = $1 AND kind = 'task_log' AND complete
         ORDER BY item_id DESC OFFSET $2)`,
        [connectorId, TASK_LOG_RETENTION],
      ),
    );
    return result.rowCount ?? 0;
  }

  async discard(connectorId: string, syncId: string, kind: SyncFileKind): Promise<void> {
    await this.pool.query(
      prepared(
        `DELETE FROM artifact_files
       WHERE connector_id = $1 AND kind = $2 AND item_id = $3 AND complete`,
        [checkId("connector", connectorId), kind, checkId("sync", syncId)],
      ),
    );
  }

  async removeConnector(connectorId: string): Promise<void> {
    await this.pool.query(
      prepared("DELETE FROM artifact_files WHERE connector_id = $1", [
        checkId("connector", connectorId),
      ]),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  // ---- internals ----

  /** The visible (complete) file, or null. */
  private async find(connectorId: string, kind: FileKind, itemId: string): Promise<FileRow | null> {
    const { rows } = await this.pool.query(
      prepared(
        `SELECT id, size, chunks FROM artifact_files
       WHERE connector_id = $1 AND kind = $2 AND item_id = $3 AND complete`,
        [
          checkId("connector", connectorId),
          kind,
          checkId(kind === "task_log" ? "task" : "sync", itemId),
        ],
      ),
    );
    const row = rows[0] as { id: unknown; size: unknown; chunks: unknown } | undefined;
    return row ? { id: Number(row.id), size: Number(row.size), chunks: Number(row.chunks) } : null;
  }

  /** The chunks the file had when it was found, in order, one query each. */
  private async *chunksOf(file: FileRow): AsyncGenerator<Buffer> {
    for (let seq = 0; seq < file.chunks; seq++) {
      const { rows } = await this.pool.query(
        prepared("SELECT data FROM artifact_chunks WHERE file_id = $1 AND seq = $2", [
          file.id,
          seq,
        ]),
      );
      const row = rows[0] as { data: Buffer } | undefined;
      if (!row) throw new Error("the file was removed while it was being read");
      yield row.data;
    }
  }

  /** Appends one chunk to the file; false when the file no longer exists. */
  private async append(fileId: number, data: Buffer): Promise<boolean> {
    const result = await this.pool.query(
      prepared(
        `WITH file AS (
         UPDATE artifact_files SET size = size + $2, chunks = chunks + 1, updated_at = $3
         WHERE id = $1 RETURNING chunks - 1 AS seq)
       INSERT INTO artifact_chunks (file_id, seq, data)
       SELECT $1::bigint, seq, $4::bytea FROM file`,
        [fileId, data.length, Date.now(), data],
      ),
    );
    return result.rowCount === 1;
  }

  /** The log's row (made when there is none yet), then a writer appending to it. */
  private async openAppending(
    connectorId: string,
    kind: "log" | "task_log",
    itemId: string,
    onError?: (error: Error) => void,
  ): Promise<SyncLog> {
    let file: FileRow;
    try {
      // Made, or found when it exists (an earlier attempt's log, or another node's): one
      // statement either way (DO UPDATE, unlike DO NOTHING, returns the existing row).
      const { rows } = await this.pool.query(
        prepared(
          `INSERT INTO artifact_files
             (connector_id, kind, item_id, complete, created_at, updated_at)
           VALUES ($1, $2, $3, true, $4, $4)
           ON CONFLICT (connector_id, kind, item_id) WHERE complete
           DO UPDATE SET updated_at = EXCLUDED.updated_at
           RETURNING id, size, chunks`,
          [checkId("connector", connectorId), kind, itemId, Date.now()],
        ),
      );
      const row = rows[0] as { id: unknown; size: unknown; chunks: unknown } | undefined;
      if (!row) throw new Error(`the ${kind === "log" ? "sync" : "task"} log could not be made`);
      file = { id: Number(row.id), size: Number(row.size), chunks: Number(row.chunks) };
    } catch (error) {
      return SyncLog.broken(error as Error, onError);
    }
    const fileId = file.id;
    return new SyncLog(new ChunkAppender((data) => this.append(fileId, data)), file.size, onError);
  }

  private async readLines(connectorId: string, kind: FileKind, itemId: string) {
    const file = await this.find(connectorId, kind, itemId);
    if (!file) return [];
    const parts: Buffer[] = [];
    try {
      for await (const chunk of this.chunksOf(file)) parts.push(chunk);
    } catch {
      return []; // removed while read: as if it had not been there
    }
    return parseLogLines(Buffer.concat(parts).toString("utf8"));
  }

  private async transaction(fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      await fn(client);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken ? true : undefined);
    }
  }
}

/**
 * The writable end of a log: buffers what is written and appends it as one chunk when
 * LOG_FLUSH_BYTES are waiting, LOG_FLUSH_MS after the first buffered write, and at the end.
 * A failed append fails the stream (its "error" event); a log whose file was removed meanwhile
 * drops what follows.
 */
class ChunkAppender extends Writable {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The flush in progress: flushes run one after the other. */
  private flushing: Promise<void> = Promise.resolve();
  private removed = false;

  constructor(private readonly appendChunk: (data: Buffer) => Promise<boolean>) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes >= LOG_FLUSH_BYTES) {
      this.flush().then(() => done(), done);
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush().catch((error: Error) => this.destroy(error));
      }, LOG_FLUSH_MS);
      this.timer.unref();
    }
    done();
  }

  override _final(done: (error?: Error) => void): void {
    this.flush().then(() => done(), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.clearTimer();
    done(error);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): Promise<void> {
    this.clearTimer();
    const run = this.flushing.then(async () => {
      if (this.bufferedBytes === 0) return;
      const data = Buffer.concat(this.buffered);
      this.buffered = [];
      this.bufferedBytes = 0;
      if (this.removed) return;
      if (!(await this.appendChunk(data))) this.removed = true;
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }
}

function notKept(connectorId: string, syncId: string, kind: SyncFileKind): Error {
  return new ArtifactNotFoundError(
    `the ${kind} of sync "${syncId}" of connector "${connectorId}" is not kept`,
  );
}

function removedWhileWritten(syncId: string): Error {
  return new Error(`the c1z of sync "${syncId}" was removed while it was being kept`);
}

/** Keeps the URL's password out of a message. */
function redact(message: string, url: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // no password to hide
  }
  const text = message.replace(/(postgres(?:ql)?:\/\/)[^@/\s]*@/gi, "$1***@");
  return password.length >= 4 ? text.split(password).join("***") : text;
}
