// WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside whichever
// COMMIT crosses the threshold and fsyncs there, stalling that request (and, with better-sqlite3
// being synchronous, the whole event loop) for milliseconds. Instead the connections that serve
// requests turn it off and this worker thread, with its own connection, runs PASSIVE
// checkpoints every few hundred milliseconds: they never block writers, and their fsyncs happen
// on this thread.

import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => {
  try { checkpoint.get(); } catch { /* busy: try again on the next tick */ }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  try { checkpoint.get(); } finally { db.close(); parentPort.close(); }
});
`;

export class Checkpointer {
  private readonly worker: Worker;

  constructor(path: string, intervalMs = 1000) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, intervalMs, driver: require_resolve("better-sqlite3") },
    });
    this.worker.unref();
  }

  /** Runs a last checkpoint and stops the thread. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.ref(); // keep the process alive until the last checkpoint is done
    this.worker.postMessage("stop");
    await exited;
  }
}

function require_resolve(name: string): string {
  return new URL(import.meta.resolve(name)).pathname;
}
