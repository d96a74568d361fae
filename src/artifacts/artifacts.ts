// What a sync leaves besides its inventory: the connector's c1z file and its log; and the log of
// each provisioning task. Where they live is an implementation of Artifacts:
//
// - local disk (./local.ts), with the embedded SQLite store: files under <data-dir>/artifacts;
// - PostgreSQL (./postgres.ts), with `--database-url`: chunks in tables of the same database,
//   so that every node serves every sync's files and retention works across nodes.
//
// Callers name files by connector, sync (or task) and kind, never by path. The rules are the same
// for both: retention keeps the newest N syncs' files per connector, and always those of the
// applied sync and of syncs held in ERRORED_NO_DATA (someone has to decide about them) or still
// RUNNING; the newest TASK_LOG_RETENTION task logs of a connector are kept. Sync and task ids are
// KSUIDs, so they sort by time.

import { Writable, type Readable } from "node:stream";
import type { ConnectorLogLine } from "../connectors/baton/one-shot.js";
import type { StoreReader } from "../store/store.js";

export const DEFAULT_ARTIFACT_RETENTION = 10;
/** A log stops growing here; one line says so. */
export const MAX_LOG_BYTES = 8 * 1024 * 1024;
/** Task logs kept per connector (task ids are KSUIDs: the newest sort last). */
export const TASK_LOG_RETENTION = 200;

/** The two files of a sync. */
export type SyncFileKind = "c1z" | "log";

/** One line of a kept log as the API returns it (`at` is an ISO date). */
export type LogLine = Record<string, string>;

export interface Artifacts {
  /** Where files live: "disk" (<data-dir>/artifacts) or "postgres" (the shared database). */
  readonly backend: "disk" | "postgres";
  /** How many syncs' files are kept per connector (besides the applied and held syncs'). */
  readonly retention: number;

  /** Size of a kept file in bytes, or null when there is none. */
  size(connectorId: string, syncId: string, kind: SyncFileKind): Promise<number | null>;
  /** The bytes of a kept file, streamed; the stream fails when the file is not kept. */
  read(connectorId: string, syncId: string, kind: SyncFileKind): Readable;
  /** Copies a kept file to a local path; false when the file is not kept. */
  copyTo(connectorId: string, syncId: string, kind: SyncFileKind, path: string): Promise<boolean>;

  /**
   * Keeps a finished sync's c1z from a local file, which is gone afterwards (moved in, or copied
   * in and deleted). It replaces a c1z the sync already had. Rejects when it cannot be kept.
   */
  keepC1z(connectorId: string, syncId: string, source: string): Promise<void>;

  /**
   * A log for one sync attempt; attempts of the same sync append to the same log. Writes that fail
   * stop the log and are reported once through `onError`; they never fail the sync.
   */
  openLog(
    connectorId: string,
    syncId: string,
    attempt: number,
    onError?: (error: Error) => void,
  ): Promise<SyncLog>;
  /** Opens a provisioning task's log. */
  openTaskLog(
    connectorId: string,
    taskId: string,
    onError?: (error: Error) => void,
  ): Promise<SyncLog>;
  /** The lines of a sync's log (none when there is no log). */
  readLog(connectorId: string, syncId: string): Promise<LogLine[]>;
  /** The lines of a provisioning task's log (none when there is no log). */
  readTaskLog(connectorId: string, taskId: string): Promise<LogLine[]>;

  /**
   * Deletes the files of all but the newest `retention` syncs of the connector, sparing the
   * applied sync and held (ERRORED_NO_DATA) or RUNNING syncs. Returns how many syncs lost files.
   */
  prune(store: StoreReader, connectorId: string): Promise<number>;
  /** Deletes all but the newest TASK_LOG_RETENTION task logs of the connector. */
  pruneTaskLogs(connectorId: string): Promise<number>;
  /** Removes one kept file of a sync. */
  discard(connectorId: string, syncId: string, kind: SyncFileKind): Promise<void>;
  /** Removes every file of a deleted connector. */
  removeConnector(connectorId: string): Promise<void>;
  /** Releases what the implementation holds (connections). */
  close(): Promise<void>;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Ids become file names and keys: only KSUID-like ids are accepted. */
export function checkId(what: string, id: string): string {
  if (!SAFE_ID.test(id)) throw new Error(`unsafe ${what} id ${id}`);
  return id;
}

export const isSafeId = (id: string): boolean => SAFE_ID.test(id);

/** A file that is not kept, as read() streams report it (the code matches the file system's). */
export class ArtifactNotFoundError extends Error {
  readonly code = "ENOENT";
}

/**
 * The retention rule, shared by the implementations: of `syncIds` (every sync with files), all
 * but the newest `retention` lose their files through `remove`, unless the sync is applied, held
 * or running. The store is read right before each delete: a ConfirmSyncValid may just have
 * applied the sync.
 */
export async function pruneSyncFiles(
  store: StoreReader,
  connectorId: string,
  syncIds: Iterable<string>,
  retention: number,
  remove: (syncId: string) => Promise<void>,
): Promise<number> {
  const newestFirst = [...new Set(syncIds)].filter(isSafeId).sort().reverse();
  let removed = 0;
  for (const syncId of newestFirst.slice(retention)) {
    const connector = await store.findConnector(connectorId);
    if (connector?.appliedSyncId === syncId) continue;
    const sync = await store.getSync(connectorId, syncId);
    if (sync?.state === "ERRORED_NO_DATA" || sync?.state === "RUNNING") continue;
    await remove(syncId);
    removed++;
  }
  return removed;
}

/** The lines of a log's text; a line cut short by a crash is skipped. */
export function parseLogLines(text: string): LogLine[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

export interface SyncLogLine extends Omit<ConnectorLogLine, "stream"> {
  readonly stream: ConnectorLogLine["stream"] | "syncplane";
}

/**
 * JSON lines, appended to `out` (a file, or the database's chunks); capped at MAX_LOG_BYTES
 * counting the `bytes` the log already had. A log that cannot be written (disk full, database
 * gone) stops logging and says so through `onError`; the sync itself goes on.
 */
export class SyncLog {
  private full = false;
  private failed = false;

  constructor(
    private readonly out: Writable,
    private bytes: number,
    onError: (error: Error) => void = () => undefined,
  ) {
    out.on("error", (error) => {
      if (this.failed) return;
      this.failed = true;
      onError(error);
    });
  }

  /** A log that could not be opened: `error` goes to `onError`, and every write is dropped. */
  static broken(error: Error, onError?: (error: Error) => void): SyncLog {
    const out = new Writable({ write: (_chunk, _encoding, done) => done() });
    const log = new SyncLog(out, 0, onError);
    out.destroy(error);
    return log;
  }

  write(line: SyncLogLine): void {
    if (this.full || this.failed) return;
    const text = `${JSON.stringify({ ...line, at: new Date(line.at).toISOString() })}\n`;
    if (this.bytes + text.length > MAX_LOG_BYTES) {
      this.full = true;
      const note = {
        at: new Date(line.at).toISOString(),
        stream: "syncplane",
        level: "warn",
        message: `log truncated: it reached ${MAX_LOG_BYTES} bytes`,
      };
      this.out.write(`${JSON.stringify(note)}\n`);
      return;
    }
    this.bytes += text.length;
    this.out.write(text);
  }

  /**
   * Writes out what is buffered and closes; never rejects. Resolves once the writer is done,
   * after a failure to write out has gone to `onError`.
   */
  close(): Promise<void> {
    if (this.failed || this.out.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.out.once("close", () => resolve());
      this.out.end();
    });
  }
}
