// One syncplane worker "node" of bench/queue's throughput phase, in a process of its own: what
// `serve --database-url … --roles worker` runs (a Worker on a PostgresStore, with the sync logs
// kept through PostgresArtifacts), except that every connector's runner is a no-op that returns
// an empty snapshot. Driven by its parent over IPC:
//   parent → {type: "go"}: start claiming; {type: "stop"}: stop, close, exit
//   child  → {type: "ready"}; {type: "finished", state} per sync; {type: "error", message}
// argv: JSON options, then the benchmark's temp folder (named so the watchdog can find us).

import { PostgresArtifacts } from "../../src/artifacts/postgres.js";
import type { ConnectorRunner, SyncSnapshot } from "../../src/connectors/runner.js";
import { Worker } from "../../src/engine/worker.js";
import { systemClock } from "../../src/runtime.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";

interface Options {
  readonly url: string;
  readonly id: string;
  readonly concurrency: number;
  /** Keep each sync's log through PostgresArtifacts, as serve does. */
  readonly syncLogs: boolean;
}

const options = JSON.parse(process.argv[2] ?? "{}") as Options;
const send = (message: object) => process.send?.(message);

async function* nothing<T>(): AsyncIterable<readonly T[]> {
  // an empty inventory
}

const empty: SyncSnapshot = {
  resourceTypes: [],
  counts: {
    resources: {},
    entitlements: 0,
    grants: 0,
    entitlementsByResourceType: {},
    grantsByResourceType: {},
  },
  resources: nothing,
  entitlements: nothing,
  grants: nothing,
  release: async () => undefined,
};

const noop: ConnectorRunner = {
  sync: async () => empty,
  grant: () => Promise.reject(new Error("not in this benchmark")),
  revoke: () => Promise.reject(new Error("not in this benchmark")),
};

const store = await PostgresStore.open(options.url);
const artifacts = options.syncLogs ? await PostgresArtifacts.open(options.url) : undefined;
// Connections are opened before the clock starts: the LISTEN one, and the pool's (10 by default).
const listening = store.onWork(() => undefined);
await Promise.all(
  Array.from({ length: 10 }, () => store.transaction((tx) => tx.getSetting("bench"))),
);

const worker = new Worker(
  { store, clock: systemClock },
  {
    id: options.id,
    concurrency: options.concurrency,
    runnerFor: () => noop,
    ...(artifacts ? { artifacts } : {}),
  },
);
worker.on("finished", (_claimed, end) => send({ type: "finished", state: end.state }));
worker.on("error", (error) =>
  send({ type: "error", message: error instanceof Error ? error.message : String(error) }),
);

process.on("disconnect", () => process.exit(1));
process.on("message", (message: { type?: string }) => {
  if (message.type === "go") worker.start();
  if (message.type === "stop") {
    void (async () => {
      await worker.stop(5_000);
      listening();
      await artifacts?.close();
      await store.close();
      process.exit(0);
    })();
  }
});
send({ type: "ready" });
