// One graphile-worker node of bench/queue, in a process of its own: `run()` with one no-op task,
// on a pg pool opened (and filled) before the clock starts. Driven by its parent over IPC:
//   parent → {type: "go"}: run(); {type: "stop"}: stop the runner, close, exit
//   child  → {type: "ready"}; {type: "running"} once run() resolved;
//            {type: "started", i, at} when a job with payload {i} starts (at: wall-clock ms,
//            sub-millisecond); {type: "finished"} per completed job; {type: "error", message}
// argv: JSON options, then the benchmark's temp folder (named so the watchdog can find us).

import { EventEmitter } from "node:events";
import { Logger, run, type Runner, type WorkerEvents } from "graphile-worker";
import pg from "pg";

interface Options {
  readonly url: string;
  readonly concurrency: number;
  /** Report each job's start (latency phase). */
  readonly reportStarts: boolean;
}

const options = JSON.parse(process.argv[2] ?? "{}") as Options;
const send = (message: object) => process.send?.(message);
const wallClock = () => performance.timeOrigin + performance.now();

// Errors only: graphile-worker logs every job at info level by default.
const logger = new Logger(() => (level, message) => {
  if (level === "error") send({ type: "error", message });
});

const pool = new pg.Pool({ connectionString: options.url, max: 10 });
// A dropped connection must not crash the node (idle clients, and clients in use).
pool.on("error", () => undefined);
pool.on("connect", (client) => client.on("error", () => undefined));
await Promise.all(Array.from({ length: 10 }, () => pool.query("SELECT 1")));

let runner: Runner | null = null;
// Passed to run(), so that no job completes before the listener is there.
const events = new EventEmitter() as WorkerEvents;
events.on("job:complete", ({ error }) => {
  if (!error) send({ type: "finished" });
});

process.on("disconnect", () => process.exit(1));
process.on("message", (message: { type?: string }) => {
  if (message.type === "go") {
    void (async () => {
      runner = await run({
        pgPool: pool,
        concurrency: options.concurrency,
        noHandleSignals: true,
        logger,
        events,
        taskList: {
          noop: async (payload) => {
            if (options.reportStarts) {
              const at = wallClock();
              send({ type: "started", i: (payload as { i: number }).i, at });
            }
          },
        },
      });
      send({ type: "running" });
    })().catch((error: unknown) =>
      send({ type: "error", message: error instanceof Error ? error.message : String(error) }),
    );
  }
  if (message.type === "stop") {
    void (async () => {
      await runner?.stop();
      await pool.end();
      process.exit(0);
    })();
  }
});
send({ type: "ready" });
