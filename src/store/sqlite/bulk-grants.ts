// Staging a sync's grants straight from a decompressed c1z (a SQLite database,
// shared/reference/baton.md §1.4) into the store, without a row passing through JavaScript.
//
// Two worker threads, each with its own connection to the store file and the c1z attached, run
// at once (the machine's second core does the sorting while the first copies):
// - "grants" copies v1_grants into inventory_grants in external-id order (the c1z's unique
//   (external_id, sync_id) index), SLICE rows per write transaction, so inserts are appends;
// - "principals" first sorts the grants by principal into a scratch database next to the c1z
//   (reading only: the store's writer is not held while it sorts), then copies that table into
//   inventory_grant_principals SLICE rows per write transaction, again as appends.
// Each write transaction holds the store's write lock for a few tens of milliseconds, and none
// starts while the server's writer is waiting for the lock (a shared counter it raises when it
// finds the lock taken), so the server's commands wait at most one slice.
// The worker source is plain CommonJS evaluated in the thread (as ./checkpointer.ts does): it
// needs nothing but better-sqlite3.

import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { GrantSource } from "../../connectors/runner.js";

const SLICE = 20_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const { storePath, source, syncId, job, slice, scratchPath, turn: turnBuffer } = workerData;
// The server's writer raises this when it finds the write lock taken, until its group commits:
// each slice waits for it to fall, so the server's commands never queue behind a run of slices.
const turn = new Int32Array(turnBuffer);
const giveWay = () => {
  for (let waiting; (waiting = Atomics.load(turn, 0)) > 0; ) Atomics.wait(turn, 0, waiting, 100);
};
const db = new Database(storePath);
try {
  db.pragma("busy_timeout = 30000");
  db.pragma("synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 0");
  db.pragma("cache_size = -32768");
  db.prepare("ATTACH ? AS c1z").run(source.dbPath);
  // Each slice is one statement in its own (autocommit) transaction: it write-locks the store
  // only (BEGIN IMMEDIATE would also reserve every attached database).
  const write = (fn) => {
    giveWay();
    return fn();
  };
  let rows = 0;
  if (job === "grants") {
    // Without its unique (external_id, sync_id) index (very old files) every slice would scan
    // the table: the private copy gets the index first.
    const indexed = db.prepare(
      "SELECT 1 FROM c1z.sqlite_master WHERE type = 'index' AND name = 'idx_grants_external_sync_v1'",
    ).get();
    if (!indexed) db.exec("CREATE INDEX c1z.syncplane_grants_by_external_id ON v1_grants (external_id, sync_id)");
    const sliceEnd = db.prepare(
      "SELECT external_id FROM c1z.v1_grants WHERE sync_id = ? AND external_id > ? ORDER BY external_id LIMIT 1 OFFSET ?",
    ).pluck();
    const copy = (bounded) => db.prepare(
      "INSERT INTO main.inventory_grants (sync_id, id, entitlement_id, principal_type_id, principal_id) " +
      "SELECT ?, external_id, entitlement_id, principal_resource_type_id, principal_resource_id " +
      "FROM c1z.v1_grants WHERE sync_id = ? AND external_id > ? " +
      (bounded ? "AND external_id <= ? " : "") + "ORDER BY external_id ON CONFLICT DO NOTHING",
    );
    const copySlice = copy(true);
    const copyRest = copy(false);
    let after = "";
    for (;;) {
      const end = sliceEnd.get(source.runId, after, slice - 1);
      rows += write(() => (end === undefined
        ? copyRest.run(syncId, source.runId, after)
        : copySlice.run(syncId, source.runId, after, end)).changes);
      if (end === undefined) break;
      after = end;
    }
  } else {
    db.prepare("ATTACH ? AS scratch").run(scratchPath);
    db.pragma("scratch.journal_mode = OFF");
    db.pragma("scratch.synchronous = OFF");
    // A narrow copy first (one sequential scan of the wide table), then the sort of that copy:
    // together about half of what sorting straight from the c1z's rows takes.
    db.prepare(
      "CREATE TABLE scratch.narrow AS SELECT principal_resource_type_id AS type, " +
      "principal_resource_id AS id, external_id AS grant_id FROM c1z.v1_grants WHERE sync_id = ?",
    ).run(source.runId);
    db.exec("CREATE TABLE scratch.by_principal AS SELECT type, id, grant_id FROM scratch.narrow ORDER BY 1, 2, 3");
    db.exec("DROP TABLE scratch.narrow");
    const last = db.prepare("SELECT max(rowid) FROM scratch.by_principal").pluck().get() ?? 0;
    const copySlice = db.prepare(
      "INSERT INTO main.inventory_grant_principals (sync_id, principal_type_id, principal_id, grant_id) " +
      "SELECT ?, type, id, grant_id FROM scratch.by_principal WHERE rowid > ? AND rowid <= ? " +
      "ORDER BY rowid ON CONFLICT DO NOTHING",
    );
    for (let from = 0; from < last; from += slice) {
      rows += write(() => copySlice.run(syncId, from, from + slice).changes);
    }
  }
  parentPort.postMessage({ rows });
} catch (error) {
  parentPort.postMessage({ error: error && error.message ? error.message : String(error), code: error && error.code });
} finally {
  db.close();
}
`;

type Job = "grants" | "principals";

function runJob(
  storePath: string,
  source: GrantSource,
  syncId: string,
  job: Job,
  scratchPath: string,
  turn: SharedArrayBuffer,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: fileURLToPath(import.meta.resolve("better-sqlite3")),
        storePath,
        source,
        syncId,
        job,
        slice: SLICE,
        scratchPath,
        turn,
      },
    });
    let settled = false;
    worker.once("message", (message: { rows?: number; error?: string; code?: string }) => {
      settled = true;
      if (message.error !== undefined) {
        const error = new Error(`staging ${job} from the c1z failed: ${message.error}`);
        (error as NodeJS.ErrnoException).code = message.code;
        reject(error);
      } else resolve(message.rows ?? 0);
    });
    worker.once("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`the ${job} staging thread stopped (exit code ${code})`));
    });
  });
}

/**
 * Stages the grants of `source` under `syncId` in the store file at `storePath`, and the lookup
 * by principal; returns how many grants were staged. Both threads run to their end before it
 * settles, so a failure never leaves a thread writing.
 */
export async function stageGrantsFromFile(
  storePath: string,
  turn: SharedArrayBuffer,
  syncId: string,
  source: GrantSource,
): Promise<number> {
  const scratchPath = `${source.dbPath}.by-principal`;
  const counters = new Int32Array(turn);
  Atomics.add(counters, 1, 1);
  try {
    const [grants, principals] = await Promise.allSettled([
      runJob(storePath, source, syncId, "grants", scratchPath, turn),
      runJob(storePath, source, syncId, "principals", scratchPath, turn),
    ]);
    if (grants.status === "rejected") throw grants.reason;
    if (principals.status === "rejected") throw principals.reason;
    return grants.value;
  } finally {
    Atomics.sub(counters, 1, 1);
    await rm(scratchPath, { force: true });
  }
}
