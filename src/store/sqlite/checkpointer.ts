// WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside whichever
// COMMIT crosses the threshold and fsyncs there, stalling that request (and, with better-sqlite3
// being synchronous, the whole event loop) for milliseconds. Instead the connections that serve
// requests turn it off and this worker thread, with its own connection, runs PASSIVE
// checkpoints every second: they never block writers, and their fsyncs happen on this thread.
// If the thread fails, checkpoints stop (the WAL grows) but requests go on; the failure is
// reported through onError.

import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
// Slot 1 of the shared counters: bulk copies running (bulk-grants.ts). Their pages are
// checkpointed once they are done rather than while they compete for the same two cores.
const bulk = new Int32Array(workerData.counters);
const timer = setInterval(() => {
  if (Atomics.load(bulk, 1) > 0) return;
  try { checkpoint.get(); } catch { /* busy: try again on the next tick */ }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  try { checkpoint.get(); } finally { db.close(); parentPort.close(); }
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(
    path: string,
    /** Shared counters; slot 1 > 0 while bulk copies run (checkpoints wait for them). */
    counters: SharedArrayBuffer,
    onError: (error: Error) => void,
    intervalMs = 1000,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        intervalMs,
        counters,
        driver: fileURLToPath(import.meta.resolve("better-sqlite3")),
      },
    });
    this.worker.on("error", onError);
    this.exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.unref();
  }

  /** Runs a last checkpoint and stops the thread (at once if it has already stopped). */
  async stop(): Promise<void> {
    this.worker.ref(); // keep the process alive until the last checkpoint is done
    this.worker.postMessage("stop");
    await this.exited;
  }
}
