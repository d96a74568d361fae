// The embedded backend: better-sqlite3 in WAL mode, one file under the data dir.
//
// Two connections: the writer runs commands one at a time (an async callback could otherwise
// interleave with another on the same connection) and commits them in groups (see
// GroupCommitWriter.transaction()); the reader serves lock-free reads, which under WAL see the
// last committed state. The queries live in one file per concern (apps.ts, connectors.ts, …),
// mirrored file for file by ../postgres.

import type Database from "better-sqlite3";
import type { Store, StoreCapabilities, StoreReader, StoreTx } from "../store.js";
import { withWorkSignals, WorkListeners } from "../work.js";
import { appReads, appWrites } from "./apps.js";
import { auditReads, auditWrites } from "./audit.js";
import { Checkpointer } from "./checkpointer.js";
import { connectorReads, connectorWrites } from "./connectors.js";
import { credentialReads, credentialWrites } from "./credentials.js";
import { type Connection, openConnection, SqliteDb } from "./db.js";
import { diffReads, diffWrites } from "../diff.js";
import { webhookReads, webhookWrites } from "../webhooks.js";
import { SQLITE_DIALECT } from "../portable.js";
import { stageGrantsFromFile } from "./bulk-grants.js";
import { inventoryReads, inventoryWrites } from "./inventory.js";
import { metricsReads } from "./metrics.js";
import { migrate } from "./migrations.js";
import { taskReads, taskWrites } from "./provisioning.js";
import { queueReads, queueWrites } from "./queue.js";
import { scheduleReads, scheduleWrites } from "./schedules.js";

/** SQLite has one writer at a time: row locks are implied, claims need no SKIP LOCKED. */
export const SQLITE_CAPABILITIES: StoreCapabilities = {
  singleWriter: true,
  skipLocked: false,
  notify: false,
};

function sqliteReader(q: SqliteDb): StoreReader {
  return {
    ...appReads(q),
    ...connectorReads(q),
    ...scheduleReads(q),
    ...queueReads(q),
    ...taskReads(q),
    ...inventoryReads(q),
    ...diffReads(q, SQLITE_DIALECT),
    ...webhookReads(q, SQLITE_DIALECT),
    ...credentialReads(q),
    ...auditReads(q),
    ...metricsReads(q),
  };
}

function sqliteTx(q: SqliteDb): StoreTx {
  return {
    ...sqliteReader(q),
    ...appWrites(q),
    ...connectorWrites(q),
    ...scheduleWrites(q),
    ...queueWrites(q),
    ...taskWrites(q),
    ...inventoryWrites(q),
    ...diffWrites(q, SQLITE_DIALECT),
    ...webhookWrites(q, SQLITE_DIALECT),
    ...credentialWrites(q),
    ...auditWrites(q),
  };
}

/** How long a group waits for a write lock another connection holds (was busy_timeout). */
const BUSY_WAIT_MS = 5000;

const isBusy = (error: unknown): boolean => (error as { code?: unknown }).code === "SQLITE_BUSY";

/** The most commands one group commit carries (see transaction()). */
const MAX_GROUP = 128;

interface PendingCommand {
  readonly fn: (tx: StoreTx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The writer connection's command queue: commands run one at a time, committed in groups (see
 * transaction()).
 */
class GroupCommitWriter {
  private readonly tx: StoreTx;
  private readonly control: Record<
    "begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo",
    Database.Statement
  >;
  private readonly checkpointer: Checkpointer;
  private pending: PendingCommand[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;
  /** Whether a command of the group being run made work claimable (see ../work.ts). */
  private workInGroup = false;
  readonly workListeners = new WorkListeners();
  /**
   * Raised while a group waits for the write lock and until it commits: bulk copies on other
   * threads (bulk-grants.ts) wait for it to fall before each slice, so a command waits at most
   * one slice. Only a group that found the lock taken raises it: the server's own staging
   * batches and the copies then take turns instead of the copies stopping for every batch.
   * Slot 1 counts the bulk copies running: the checkpointer waits for them.
   */
  readonly turn = new SharedArrayBuffer(8);
  private readonly wanting = new Int32Array(this.turn);
  /** Something to sleep on (Atomics.wait) between tries for the lock. */
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly writer: Connection,
    path: string,
  ) {
    // The write lock is waited for in begin(), which lets bulk copies know; nothing else on this
    // connection waits (it holds the lock for the rest of each group).
    writer.pragma("busy_timeout = 0");
    this.checkpointer = new Checkpointer(path, this.turn, (error) => {
      process.emitWarning(`syncplane: the SQLite checkpoint thread stopped: ${error.message}`);
    });
    this.tx = withWorkSignals(sqliteTx(new SqliteDb(writer)), () => {
      this.workInGroup = true;
    });
    this.control = {
      begin: writer.prepare("BEGIN IMMEDIATE"),
      commit: writer.prepare("COMMIT"),
      rollback: writer.prepare("ROLLBACK"),
      savepoint: writer.prepare("SAVEPOINT command"),
      release: writer.prepare("RELEASE command"),
      rollbackTo: writer.prepare("ROLLBACK TO command"),
    };
  }

  /**
   * Runs `fn` as one atomic command. Commands run one at a time on the writer connection, each
   * inside its own SAVEPOINT, and the commands that arrive while others run are committed
   * together (group commit): a command that fails rolls back to its savepoint and leaves the
   * others alone, and no caller hears of success before the COMMIT that makes its change
   * durable. Under load this turns many small commits into a few larger ones.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      // Start the group after the current I/O phase, so that every request that arrived in it
      // has queued its command by then.
      this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        this.drain(),
      );
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, MAX_GROUP);
        const outcomes = await this.runGroup(group);
        group.forEach((command, i) => {
          const outcome = outcomes[i] as Outcome;
          if (outcome.ok) command.resolve(outcome.value);
          else command.reject(outcome.error);
        });
        // Let the requests that arrived meanwhile queue up for the next group.
        if (this.pending.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = null;
    }
  }

  private async runGroup(group: readonly PendingCommand[]): Promise<Outcome[]> {
    const failAll = (error: unknown): Outcome[] => group.map(() => ({ ok: false, error }));
    this.workInGroup = false;
    let raised = false;
    try {
      raised = this.begin();
    } catch (error) {
      return failAll(error);
    }
    try {
      return await this.runGroupLocked(group, failAll);
    } finally {
      if (raised) {
        Atomics.sub(this.wanting, 0, 1);
        Atomics.notify(this.wanting, 0);
      }
    }
  }

  /**
   * BEGIN IMMEDIATE; when another connection holds the write lock, raises `turn` and tries
   * again every millisecond for up to BUSY_WAIT_MS (the writer's busy_timeout is 0, so this is
   * its only wait). Returns whether it raised `turn` (the caller lowers it after the group).
   */
  private begin(): boolean {
    try {
      this.control.begin.run();
      return false;
    } catch (error) {
      if (!isBusy(error)) throw error;
    }
    Atomics.add(this.wanting, 0, 1);
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (;;) {
      try {
        this.control.begin.run();
        return true;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) {
          Atomics.sub(this.wanting, 0, 1);
          Atomics.notify(this.wanting, 0);
          throw error;
        }
      }
      Atomics.wait(this.pause, 0, 0, 1);
    }
  }

  private async runGroupLocked(
    group: readonly PendingCommand[],
    failAll: (error: unknown) => Outcome[],
  ): Promise<Outcome[]> {
    try {
      const outcomes: Outcome[] = [];
      for (const command of group) {
        this.control.savepoint.run();
        try {
          const value = await command.fn(this.tx);
          this.control.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          // SQLite may have abandoned the whole transaction (I/O error, disk full…); then
          // nothing in this group was kept, and the outer catch fails them all.
          if (!this.writer.inTransaction) throw error;
          this.control.rollbackTo.run();
          this.control.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.control.commit.run();
      if (this.workInGroup) this.workListeners.emit();
      return outcomes;
    } catch (error) {
      try {
        if (this.writer.inTransaction) this.control.rollback.run();
      } catch {
        // The connection is unusable; the next BEGIN reports it to its commands.
      }
      return failAll(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
    await this.checkpointer.stop();
    this.writer.close();
  }
}

export type SqliteStore = Store;

export const SqliteStore = {
  /** Opens (creating if needed) the database file and applies pending migrations. */
  open(path: string): SqliteStore {
    const writer = openConnection(path, false);
    migrate(writer);
    const reader = openConnection(path, true);
    const commands = new GroupCommitWriter(writer, path);
    return {
      ...sqliteReader(new SqliteDb(reader)),
      backend: "sqlite",
      capabilities: SQLITE_CAPABILITIES,
      transaction: (fn) => commands.transaction(fn),
      stageGrantsFromFile: (syncId, source) =>
        stageGrantsFromFile(path, commands.turn, syncId, source),
      // The single writer makes any transaction atomic; a claim is one like the others.
      claimSync: (claim) => commands.transaction((tx) => tx.claimSync(claim)),
      claimTask: (claim) => commands.transaction((tx) => tx.claimTask(claim)),
      onWork: (listener) => commands.workListeners.add(listener),
      close: async () => {
        await commands.close();
        reader.close();
      },
    };
  },
};
