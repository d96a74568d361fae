// The scale-out backend: PostgreSQL through a bounded pg pool, shared by any number of nodes.
//
// Reads run on the pool (any free connection; each sees the last committed state). A
// transaction takes one connection for itself: BEGIN (READ COMMITTED), the command, COMMIT.
// Commands that touch the same rows serialise on row locks (lockApp/lockConnector take them;
// claims skip rows others hold). The queries live in one file per concern (apps.ts,
// connectors.ts, …), mirroring ../sqlite file for file. A transaction that made work claimable
// sends NOTIFY before its COMMIT, and every node LISTENs (notify.ts): workers on any node wake
// within milliseconds instead of at their next poll.
//
// Retries: a transaction is run again (a few times, after a short jittered pause) when
// PostgreSQL aborted it for a serialization failure (40001) or a deadlock (40P01), and when its
// connection failed before COMMIT was sent (nothing was committed: safe to repeat once the
// database answers again). A connection that fails during COMMIT leaves the outcome unknown:
// that is reported UNAVAILABLE, never repeated. Connection failures reach callers as AppError
// UNAVAILABLE (db.ts) and never crash the process; broken connections are dropped, not reused.

import type pg from "pg";
import type { AppError } from "../../domain/errors.js";
import type { Store, StoreCapabilities, StoreReader, StoreTx, SyncClaim } from "../store.js";
import { WORK_CHANNEL, withWorkSignals } from "../work.js";
import { appReads, appWrites } from "./apps.js";
import { auditReads, auditWrites } from "./audit.js";
import { connectorReads, connectorWrites } from "./connectors.js";
import { credentialReads, credentialWrites } from "./credentials.js";
import {
  createPool,
  isConnectionError,
  isPoolTimeout,
  isUnsent,
  PgDb,
  type PoolOptions,
  type Queryable,
  poolQueryable,
  poolSizeOf,
  sqlState,
  unavailable,
} from "./db.js";
import { diffReads, diffWrites } from "../diff.js";
import { webhookReads, webhookWrites } from "../webhooks.js";
import { POSTGRES_DIALECT } from "../portable.js";
import { inventoryReads, inventoryWrites } from "./inventory.js";
import { metricsReads } from "./metrics.js";
import { migrate } from "./migrations.js";
import { WorkChannel } from "./notify.js";
import { taskReads, taskWrites } from "./provisioning.js";
import { queueReads, queueWrites } from "./queue.js";
import { scheduleReads, scheduleWrites } from "./schedules.js";

/** Many writers at once: commands lock the rows they change; claims skip locked rows. */
export const POSTGRES_CAPABILITIES: StoreCapabilities = {
  singleWriter: false,
  skipLocked: true,
  notify: true,
};

export interface PostgresStoreOptions extends PoolOptions {
  /** How many times a transaction is tried in all after serialization failures (default 5). */
  readonly maxAttempts?: number;
  /** How many times it is tried in all when its connection failed before COMMIT (default 3). */
  readonly maxConnectionAttempts?: number;
}

function postgresReader(q: PgDb): StoreReader {
  return {
    ...appReads(q),
    ...connectorReads(q),
    ...scheduleReads(q),
    ...queueReads(q),
    ...taskReads(q),
    ...inventoryReads(q),
    ...diffReads(q, POSTGRES_DIALECT),
    ...webhookReads(q, POSTGRES_DIALECT),
    ...credentialReads(q),
    ...auditReads(q),
    ...metricsReads(q),
  };
}

function postgresTx(q: PgDb): StoreTx {
  return {
    ...postgresReader(q),
    ...appWrites(q),
    ...connectorWrites(q),
    ...scheduleWrites(q),
    ...queueWrites(q),
    ...taskWrites(q),
    ...inventoryWrites(q),
    ...diffWrites(q, POSTGRES_DIALECT),
    ...webhookWrites(q, POSTGRES_DIALECT),
    ...credentialWrites(q),
    ...auditWrites(q),
  };
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRY_SQLSTATES = new Set(["40001", "40P01"]);

/** How one try of a transaction ended. */
type Attempt<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly error: unknown;
      readonly retry: "conflict" | "connection" | "stale" | null;
    };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A pause before try `attempt + 1`: exponential from `base`, with full jitter on top. */
const backoff = (attempt: number, base: number) => base * 2 ** (attempt - 1) * (1 + Math.random());

/** Statements sent through a transaction object that is not lent to a transaction fail. */
const UNBOUND: Queryable = {
  query: () => Promise.reject(new Error("this transaction has ended; its object is not usable")),
};

/**
 * A transaction object (about a hundred query functions over one PgDb), built once and lent to
 * one transaction at a time: bound to the transaction's connection while it runs, unbound when it
 * ends, so a reference kept past the end fails instead of reaching another transaction.
 */
class TxSlot {
  readonly db = new PgDb(UNBOUND);
  /** Whether the transaction using this slot made work claimable (work.ts). */
  madeWork = false;
  readonly tx = withWorkSignals(postgresTx(this.db), () => {
    this.madeWork = true;
  });

  lend(client: pg.PoolClient, onError: (error: unknown) => unknown): void {
    this.db.bind(client, onError);
    this.madeWork = false;
  }

  takeBack(): void {
    this.db.bind(UNBOUND, (error) => error);
  }
}

class Transactions {
  private closed = false;
  private readonly slots: TxSlot[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly password: string,
    private readonly maxAttempts: number,
    private readonly maxConnectionAttempts: number,
    private readonly poolSize: number,
  ) {}

  async run<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    let stale = 0;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error("the store is closed");
      const outcome = await this.attempt(fn);
      if (outcome.ok) return outcome.value;
      const { error, retry } = outcome;
      if (retry === "stale" && stale++ < this.poolSize) {
        // A pooled connection that had died (now dropped): try the next one at once.
        attempt--;
        continue;
      }
      if (retry === "conflict" && attempt < this.maxAttempts) {
        await sleep(backoff(attempt, 10));
        continue;
      }
      if (retry === "connection" && attempt < this.maxConnectionAttempts) {
        await sleep(backoff(attempt, 100));
        continue;
      }
      const lost = retry === "connection" || retry === "stale" || isConnectionError(error);
      throw lost ? this.unavailable(error) : error;
    }
  }

  private unavailable(error: unknown, detail = ""): AppError {
    return unavailable(error, this.password, detail);
  }

  private async attempt<T>(fn: (tx: StoreTx) => Promise<T>): Promise<Attempt<T>> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      // Nothing was sent: a failed connect may be tried again, a full pool is reported at once.
      const retry = isConnectionError(error) && !isPoolTimeout(error) ? "connection" : null;
      return { ok: false, error, retry };
    }
    let broken = false;
    let lastError: unknown = null;
    const onError = () => {
      broken = true;
    };
    client.on("error", onError);
    const slot = this.slots.pop() ?? new TxSlot();
    slot.lend(client, (error) => {
      lastError = error;
      if (isConnectionError(error)) broken = true;
      return error;
    });
    const q = slot.db;
    let commitSent = false;
    try {
      await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
    } catch (error) {
      // Nothing ran. A pooled connection that died while idle fails here: drop it, try another.
      const lost = isConnectionError(error);
      client.off("error", onError);
      client.release(lost ? true : undefined);
      slot.takeBack();
      this.slots.push(slot);
      return { ok: false, error, retry: lost ? "stale" : null };
    }
    try {
      const value = await fn(slot.tx);
      if (broken) throw lastError ?? new Error("Connection terminated unexpectedly");
      // Delivered to every listening node when (and only if) the COMMIT below happens.
      if (slot.madeWork) await q.run(`SELECT pg_notify('${WORK_CHANNEL}', '')`);
      commitSent = true;
      const result = await client.query("COMMIT");
      if (result.command !== "COMMIT") {
        // A statement failed and the command went on regardless: PostgreSQL rolled it all back.
        commitSent = false;
        throw lastError ?? new Error("the transaction was rolled back after an earlier error");
      }
      return { ok: true, value };
    } catch (error) {
      if (isConnectionError(error)) broken = true;
      if (broken && commitSent) {
        // COMMIT may or may not have been applied before the connection went: never repeat it.
        return {
          ok: false,
          error: this.unavailable(error, "the outcome of the last commit is unknown: "),
          retry: null,
        };
      }
      if (broken) return { ok: false, error, retry: "connection" };
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      const state = sqlState(error) ?? sqlState(lastError);
      const conflict = state !== undefined && RETRY_SQLSTATES.has(state);
      return { ok: false, error, retry: conflict && !commitSent ? "conflict" : null };
    } finally {
      client.off("error", onError);
      // A broken connection is destroyed, not returned to the pool.
      client.release(broken ? true : undefined);
      slot.takeBack();
      this.slots.push(slot);
    }
  }

  /**
   * Runs `fn`, which sends one statement, without BEGIN/COMMIT: the statement is its own
   * transaction. A connection known dead before the statement was sent is replaced and the
   * statement tried again; one lost while it ran is reported UNAVAILABLE (it may have taken
   * effect), never repeated.
   */
  async autocommit<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    for (let stale = 0; ; stale++) {
      if (this.closed) throw new Error("the store is closed");
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw isConnectionError(error) ? this.unavailable(error) : error;
      }
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on("error", onError);
      const slot = this.slots.pop() ?? new TxSlot();
      slot.lend(client, (error) => {
        if (isConnectionError(error)) broken = true;
        return error;
      });
      try {
        return await fn(slot.tx);
      } catch (error) {
        if (broken && isUnsent(error) && stale < this.poolSize) continue;
        throw broken || isConnectionError(error)
          ? this.unavailable(error, "the outcome of the last statement is unknown: ")
          : error;
      } finally {
        client.off("error", onError);
        client.release(broken ? true : undefined);
        slot.takeBack();
        this.slots.push(slot);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** The password in a connection URL (to keep it out of error messages). */
function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}

export type PostgresStore = Store;

export const PostgresStore = {
  /** Connects to the database at `url` (postgres://…) and applies pending migrations. */
  async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const password = passwordOf(url);
    const pool = createPool(url, options);
    try {
      const client = await pool.connect();
      try {
        await migrate(client);
        client.release();
      } catch (error) {
        client.release(true);
        throw error;
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw isConnectionError(error) ? unavailable(error, password) : error;
    }
    const transactions = new Transactions(
      pool,
      password,
      options.maxAttempts ?? 5,
      options.maxConnectionAttempts ?? 3,
      poolSizeOf(options),
    );
    const work = new WorkChannel(url);
    return {
      ...postgresReader(new PgDb(poolQueryable(pool, password, poolSizeOf(options)))),
      backend: "postgres",
      capabilities: POSTGRES_CAPABILITIES,
      transaction: (fn) => transactions.run(fn),
      claimSync: (claim) => {
        const stamp = restamped(claim);
        return transactions.autocommit((tx) => tx.claimSync(stamp()));
      },
      claimTask: (claim) => {
        const stamp = restamped(claim);
        return transactions.autocommit((tx) => tx.claimTask(stamp()));
      },
      onWork: (listener) => work.subscribe(listener),
      close: async () => {
        await work.close();
        await transactions.close();
      },
    };
  },
};

/**
 * A claim tried again on a fresh connection (autocommit retries a statement that was never sent,
 * e.g. across a database restart) may run seconds after it was made: its times move by as much,
 * so that the sync's startedAt and lease say when it really started, not when it was first asked.
 */
function restamped<T extends SyncClaim>(claim: T): () => T {
  const made = performance.now();
  return () => {
    const late = Math.max(0, Math.round(performance.now() - made));
    return late < 5
      ? claim
      : { ...claim, now: claim.now + late, leaseUntil: claim.leaseUntil + late };
  };
}
