// Workers running the built-in file connector against a real store: counts, the data-drop guard,
// ConfirmSyncValid, recovery, failures and clean-up.

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createApp } from "../../src/commands/apps.js";
import { confirmSyncValid } from "../../src/commands/confirm-sync-valid.js";
import type { Runtime } from "../../src/commands/context.js";
import { createConnector, updateConnector } from "../../src/commands/connectors.js";
import { forceSync } from "../../src/commands/force-sync.js";
import type { SyncRecord } from "../../src/domain/model.js";
import { runnerFor } from "../../src/connectors/registry.js";
import { ConnectorError, type SyncSnapshot } from "../../src/connectors/runner.js";
import { Worker, type WorkerOptions } from "../../src/engine/worker.js";
import { systemClock } from "../../src/runtime.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { tempDir } from "../helpers/server.js";
import { writeDirectory } from "../helpers/inventory.js";
import { until } from "../helpers/wait.js";

const actor = { name: "test", requestId: "" };
let dir: string;
let store: SqliteStore;
let runtime: Runtime;
let worker: Worker;
let appId: string;

function inventory(users: number, path = join(dir, "inventory.json")): string {
  writeDirectory(path, users, 20);
  return path;
}

const latest = async (connectorId: string): Promise<SyncRecord | undefined> =>
  (await store.listSyncs(connectorId, { pageSize: 1, after: null })).items[0];

const finished = (connectorId: string, state: string) =>
  until(`a ${state} sync`, async () => {
    const sync = await latest(connectorId);
    return sync?.state === state ? sync : null;
  });

beforeEach(async () => {
  dir = tempDir("syncplane-worker-");
  store = SqliteStore.open(join(dir, "syncplane.db"));
  runtime = { store, clock: systemClock };
  appId = (await createApp(runtime, actor, { displayName: "worker" })).id;
  worker = new Worker(runtime, { pollMs: 20, leaseMs: 5_000 });
  worker.start();
});
afterEach(async () => {
  await worker.stop(1000);
  await store.close();
});

async function fileConnector(path: string): Promise<string> {
  const connector = await createConnector(runtime, actor, {
    appId,
    catalogId: "file",
    config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path },
  });
  return connector.id; // its INITIAL sync starts at once
}

describe("worker with the file connector", () => {
  it("runs the initial sync, stores the inventory and applies it", async () => {
    const id = await fileConnector(inventory(100));
    const sync = await finished(id, "SUCCEEDED");
    assert.equal(sync.trigger, "INITIAL");
    assert.deepEqual(sync.counts?.resources, { user: 100, group: 1 });
    assert.equal(sync.counts?.grants, 20);
    const connector = await store.findConnector(id);
    assert.equal(connector?.appliedSyncId, sync.id);
    assert.equal(connector?.syncStatus.status, "SYNC_STATUS_DONE");
    assert.ok(connector?.syncStatus.completedAt);
    assert.deepEqual(await store.inventoryRowCounts(sync.id), {
      resourceTypes: 2,
      resources: 101,
      entitlements: 1,
      grants: 20,
    });
    const events = await store.listSyncEvents(sync.id);
    assert.deepEqual(
      events.map((e) => `${e.state}:${e.attempt}`),
      ["QUEUED:0", "RUNNING:1", "SUCCEEDED:1"],
    );
  });

  it("holds a sync whose data collapsed, and a recovered source clears the hold by itself", async () => {
    const path = inventory(100);
    const id = await fileConnector(path);
    const first = await finished(id, "SUCCEEDED");
    inventory(10, path);
    await forceSync(runtime, actor, { appId, connectorId: id });
    const held = await finished(id, "ERRORED_NO_DATA");
    assert.equal(held.error, "user: 100 → 10 (-90.0%)");
    assert.deepEqual(held.baselineCounts?.resources, { user: 100, group: 1 });
    // Every count that fell, worst first, with the rule and the limits that fired, kept.
    const limits = { thresholdPercent: 50, minRows: 10 };
    assert.deepEqual(held.dataDrops, [
      { what: "user", before: 100, after: 10, percent: 90, rule: "THRESHOLD", limits },
      { what: "grants", before: 20, after: 10, percent: 50, rule: "THRESHOLD", limits },
    ]);
    const connector = await store.findConnector(id);
    assert.equal(connector?.appliedSyncId, first.id, "the drop is not applied");
    assert.equal(connector?.syncStatus.status, "SYNC_STATUS_ERROR");
    assert.equal(connector?.syncStatus.lastError, "user: 100 → 10 (-90.0%)");
    assert.deepEqual(
      (await store.listHolds(id)).map((h) => `${h.kind}:${h.note}`),
      ["DATA_DROP:user: 100 → 10 (-90.0%)"],
    );

    inventory(100, path); // the source is fixed
    await forceSync(runtime, actor, { appId, connectorId: id });
    const recovered = await finished(id, "SUCCEEDED");
    assert.notEqual(recovered.id, first.id);
    assert.deepEqual(await store.listHolds(id), []);
    assert.equal((await store.getSync(id, held.id))?.state, "SUPERSEDED");
    assert.equal((await store.findConnector(id))?.appliedSyncId, recovered.id);
    await until(
      "the superseded inventory to be cleaned up",
      async () => (await store.inventoryRowCounts(held.id)).resources === 0,
    );
    // The sync the applied one replaced keeps its rows (the diff compares them) until the next.
    assert.equal((await store.findConnector(id))?.previousAppliedSyncId, first.id);
    assert.equal(
      (await store.inventoryRowCounts(first.id)).resources,
      101,
      "100 users and a group",
    );
    await forceSync(runtime, actor, { appId, connectorId: id });
    await until("a newer sync", async () => {
      const sync = await latest(id);
      return sync && sync.id !== recovered.id && sync.state === "SUCCEEDED" ? sync : null;
    });
    await until(
      "the inventory two syncs back to be cleaned up",
      async () => (await store.inventoryRowCounts(first.id)).resources === 0,
    );
  });

  it("applies a held sync on ConfirmSyncValid and runs a CONFIRM sync", async () => {
    const path = inventory(100);
    const id = await fileConnector(path);
    await finished(id, "SUCCEEDED");
    inventory(5, path);
    await forceSync(runtime, actor, { appId, connectorId: id });
    const held = await finished(id, "ERRORED_NO_DATA");
    await confirmSyncValid(runtime, actor, { appId, connectorId: id, syncLifecycleId: held.id });
    assert.equal((await store.getSync(id, held.id))?.state, "CONFIRMED");
    assert.equal((await store.findConnector(id))?.appliedSyncId, held.id);
    const confirmRun = await until("the CONFIRM sync", async () => {
      const sync = await latest(id);
      return sync?.trigger === "CONFIRM" && sync.state === "SUCCEEDED" ? sync : null;
    });
    assert.deepEqual(
      confirmRun.baselineCounts?.resources,
      { user: 5, group: 1 },
      "compared with the confirmed data",
    );
    assert.deepEqual(await store.listHolds(id), []);
  });

  it("lets a drop through when the guard is off", async () => {
    const path = inventory(100);
    const id = await fileConnector(path);
    await finished(id, "SUCCEEDED");
    await updateConnector(runtime, actor, {
      appId,
      connectorId: id,
      patch: { disableCheckBadSync: true },
    });
    inventory(1, path);
    await forceSync(runtime, actor, { appId, connectorId: id });
    const sync = await until("the forced sync", async () => {
      const s = await latest(id);
      return s?.trigger === "FORCE" && s.state !== "QUEUED" && s.state !== "RUNNING" ? s : null;
    });
    assert.equal(sync.state, "SUCCEEDED");
    assert.deepEqual(sync.counts?.resources, { user: 1, group: 1 });
  });

  it("uses the connector's own data-drop limits", async () => {
    const path = inventory(100);
    const id = await fileConnector(path);
    await finished(id, "SUCCEEDED");
    await updateConnector(runtime, actor, {
      appId,
      connectorId: id,
      patch: { dataDropPolicy: { thresholdPercent: 10, minRows: 5 } },
    });
    inventory(85, path); // -15 %: fine by default, a drop for this connector
    await forceSync(runtime, actor, { appId, connectorId: id });
    const held = await finished(id, "ERRORED_NO_DATA");
    assert.equal(held.error, "user: 100 → 85 (-15.0%)");
  });

  it("ends ERRORED at once on a fatal connector error, naming it", async () => {
    const path = inventory(3);
    rmSync(path);
    const id = await fileConnector(path);
    const sync = await finished(id, "ERRORED");
    assert.equal(sync.attempt, 1);
    assert.match(sync.error, /inventory file .*inventory.json does not exist/);
    const status = (await store.findConnector(id))?.syncStatus;
    assert.equal(status?.status, "SYNC_STATUS_ERROR");
    assert.match(status?.lastError ?? "", /does not exist/);
  });
});

describe("worker shutdown", () => {
  it("waits for a running sync, then releases it to be retried when the grace period ends", async () => {
    // A fake connector that hangs until it is canceled: the real ones finish too fast to stop mid-run.
    const hanging = {
      sync: (signal: AbortSignal) =>
        new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(ConnectorError.fatal("canceled"))),
        ),
      grant: async () => ({ result: "" }),
      revoke: async () => ({ result: "" }),
    };
    await worker.stop(0); // the suite's worker: this test runs its own
    const own = new Worker(runtime, { pollMs: 20, leaseMs: 5_000, runnerFor: () => hanging });
    own.start();
    const id = await fileConnector(inventory(3));
    await until("the sync to run", async () => (await latest(id))?.state === "RUNNING");
    const events: string[] = [];
    const running = (await latest(id))?.id;
    own.on("draining", ({ syncIds, graceMs }) => events.push(`draining ${syncIds} ${graceMs}`));
    own.on("graceExpired", ({ syncIds }) => events.push(`graceExpired ${syncIds}`));
    own.on("stopped", () => events.push("stopped"));
    const stopping = own.stop(300);
    assert.equal(own.currentState, "draining");
    await stopping;
    assert.equal(own.currentState, "stopped");
    assert.deepEqual(events, [`draining ${running} 300`, `graceExpired ${running}`, "stopped"]);
    const released = await latest(id);
    assert.equal(released?.state, "QUEUED", "released, not lost");
    assert.match(
      released?.error ?? "",
      /worker shut down before the sync finished; it will be retried/,
    );
    assert.ok((released?.runAfter ?? 0) > Date.now(), "after a backoff");
    worker = new Worker(runtime, { pollMs: 20, leaseMs: 5_000 }); // for afterEach
  });
});

describe("a running sync's progress", () => {
  it("is written as the phase changes and the connector speaks, between lease renewals", async () => {
    // A fake around the real file connector: it says what it does, then waits to be let on; its
    // data waits again before it is stored, so that each phase can be seen.
    let speakGo!: () => void;
    let connectorGo!: () => void;
    let storeGo!: () => void;
    const speakGate = new Promise<void>((resolve) => (speakGo = resolve));
    const connectorGate = new Promise<void>((resolve) => (connectorGo = resolve));
    const storeGate = new Promise<void>((resolve) => (storeGo = resolve));
    const gatedRunner: NonNullable<WorkerOptions["runnerFor"]> = (connector, environment) => {
      const real = runnerFor(connector, environment);
      return {
        ...real,
        grant: real.grant.bind(real),
        revoke: real.revoke.bind(real),
        sync: async (signal) => {
          const say = (level: string, message: string) =>
            environment.log({ at: Date.now(), stream: "stderr", level, message });
          // (Let go on a stop too, so that a failed assertion cannot leave the worker hanging.)
          const stopped = new Promise<void>((resolve) =>
            signal.addEventListener("abort", () => resolve()),
          );
          await Promise.race([speakGate, stopped]);
          say("info", "Syncing users");
          say("debug", "page 3 of users"); // chatter: not progress
          await Promise.race([connectorGate, stopped]);
          const snapshot = await real.sync(signal);
          const gated: SyncSnapshot = {
            resourceTypes: snapshot.resourceTypes,
            counts: snapshot.counts,
            resources: async function* () {
              await Promise.race([storeGate, stopped]);
              yield* snapshot.resources();
            },
            entitlements: () => snapshot.entitlements(),
            grants: (order) => snapshot.grants(order),
            release: () => snapshot.release(),
          };
          return gated;
        },
      };
    };
    await worker.stop(0); // the suite's worker: this test runs its own
    // Renewals far apart: what is seen comes from the phase changes and the message path.
    worker = new Worker(runtime, {
      pollMs: 20,
      leaseMs: 120_000,
      heartbeatMs: 60_000,
      runnerFor: gatedRunner,
    });
    worker.start();
    const id = await fileConnector(inventory(7));
    const progress = async () => (await latest(id))?.progress ?? null;
    const started = await until("the connector phase", async () => await progress());
    assert.deepEqual(
      [started.phase, started.message, started.attempt],
      ["CONNECTOR", "the connector started", 1],
    );
    speakGo();
    const spoke = await until("the connector's message", async () => {
      const seen = await progress();
      return seen?.message === "Syncing users" ? seen : null;
    });
    assert.equal(spoke.phase, "CONNECTOR");
    connectorGo();
    const storing = await until("the storing phase", async () => {
      const seen = await progress();
      return seen?.phase === "STORING" ? seen : null;
    });
    assert.equal(storing.message, "storing and checking 8 resources, 1 entitlements, 7 grants");
    storeGo();
    const done = await finished(id, "SUCCEEDED");
    assert.equal(done.progress?.phase, "STORING", "the last report stays with the sync");
  });
});
