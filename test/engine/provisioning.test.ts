// Provisioning tasks in the engine, against a real store: a property test of the held queue
// (random interleavings of create, pause, resume, cancel, claim and finish, checked against a
// model), and the worker's handling of tasks whose runner fails, hangs or vanishes. Grants and
// revokes go to a FAKE runner that records each call (the file connector does the syncs).

import assert from "node:assert/strict";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createApp } from "../../src/commands/apps.js";
import type { Runtime } from "../../src/commands/context.js";
import { createConnector } from "../../src/commands/connectors.js";
import { pauseSync } from "../../src/commands/pause-sync.js";
import { cancelTask, requestGrant } from "../../src/commands/provisioning.js";
import { resumeSync } from "../../src/commands/resume-sync.js";
import { runnerFor } from "../../src/connectors/registry.js";
import { ConnectorError, type ConnectorRunner } from "../../src/connectors/runner.js";
import { isAppError } from "../../src/domain/errors.js";
import type { ProvisioningTaskRecord } from "../../src/domain/provisioning.js";
import { claimNextTask, recordTaskOutcome } from "../../src/engine/provisioning.js";
import { Worker } from "../../src/engine/worker.js";
import { systemClock } from "../../src/runtime.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { writeDirectory } from "../helpers/inventory.js";
import { tempDir } from "../helpers/server.js";
import { until } from "../helpers/wait.js";

const actor = { name: "test", requestId: "" };
const USERS = 8;
let dir: string;
let store: SqliteStore;
let runtime: Runtime;
let appId: string;

beforeEach(async () => {
  dir = tempDir("syncplane-provisioning-engine-");
  store = SqliteStore.open(join(dir, "syncplane.db"));
  runtime = { store, clock: systemClock };
  appId = (await createApp(runtime, actor, { displayName: "provisioning" })).id;
});
afterEach(async () => {
  await store.close();
});

/** A file connector over USERS users, with its first sync applied (run by a short-lived worker). */
async function syncedConnector(name: string): Promise<string> {
  const path = join(dir, `${name}.json`);
  writeDirectory(path, USERS, 1);
  const { id } = await createConnector(runtime, actor, {
    appId,
    catalogId: "file",
    config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path },
  });
  const worker = new Worker(runtime, { pollMs: 10 });
  worker.start();
  await until("the first sync", async () => (await store.findConnector(id))?.appliedSyncId);
  await worker.stop(1000);
  return id;
}

const grant = (connectorId: string, user: number) =>
  requestGrant(runtime, actor, {
    appId,
    connectorId,
    entitlementId: "group:g1:member",
    principal: { resourceTypeId: "user", resourceId: `u${user}` },
  });

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelTask {
  readonly id: string;
  readonly user: number;
  state: ProvisioningTaskRecord["state"];
}

describe("the held queue (property test)", () => {
  it("never runs a task while paused, never twice, and releases in creation order", async () => {
    const SEEDS = 40;
    const STEPS = 70;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      const connectorId = await syncedConnector(`property-${seed}`);
      const model: ModelTask[] = [];
      const ran = new Set<string>();
      let paused = false;
      let running: {
        task: ProvisioningTaskRecord;
        claimed: Parameters<typeof recordTaskOutcome>[1];
      } | null = null;
      const trace: string[] = [];
      for (let step = 0; step < STEPS; step++) {
        const roll = random();
        const where = `seed ${seed}, step ${step}: ${trace.slice(-6).join(" | ")}`;
        if (roll < 0.35) {
          const user = Math.floor(random() * USERS);
          const { task, created } = await grant(connectorId, user);
          const open = model.find((t) => t.user === user && ["QUEUED", "HELD"].includes(t.state));
          if (open) {
            assert.equal(created, false, where);
            assert.equal(task.id, open.id, `an identical open request returns it (${where})`);
          } else {
            assert.equal(created, true, where);
            assert.equal(task.state, paused ? "HELD" : "QUEUED", where);
            model.push({ id: task.id, user, state: task.state });
          }
          trace.push(`create u${user}`);
        } else if (roll < 0.47) {
          await pauseSync(runtime, actor, { appId, connectorId });
          if (!paused) for (const t of model) if (t.state === "QUEUED") t.state = "HELD";
          paused = true;
          trace.push("pause");
        } else if (roll < 0.6) {
          await resumeSync(runtime, actor, { appId, connectorId });
          if (paused) for (const t of model) if (t.state === "HELD") t.state = "QUEUED";
          paused = false;
          trace.push("resume");
        } else if (roll < 0.7 && model.length > 0) {
          const target = model[Math.floor(random() * model.length)] as ModelTask;
          const cancelable = ["QUEUED", "HELD"].includes(target.state);
          try {
            await cancelTask(runtime, actor, { appId, connectorId, taskId: target.id });
            assert.ok(cancelable, `canceled a ${target.state} task (${where})`);
            target.state = "CANCELED";
          } catch (error) {
            assert.ok(isAppError(error) && error.codeName === "FAILED_PRECONDITION", where);
            assert.ok(!cancelable, `refused to cancel a ${target.state} task (${where})`);
          }
          trace.push(`cancel ${target.state}`);
        } else if (roll < 0.88) {
          const claimed = await claimNextTask(runtime, "w", 60_000);
          const expected: ModelTask | undefined = running
            ? undefined
            : model.find((t) => t.state === "QUEUED");
          assert.equal(claimed?.task.id, expected?.id, `claims the oldest queued task (${where})`);
          if (claimed) {
            assert.ok(!paused, `claimed while paused (${where})`);
            assert.ok(!ran.has(claimed.task.id), `ran twice (${where})`);
            ran.add(claimed.task.id);
            (expected as ModelTask).state = "RUNNING";
            running = { task: claimed.task, claimed };
          }
          trace.push(claimed ? "claim" : "claim none");
        } else if (running) {
          // A running task finishes, paused or not.
          const end = await recordTaskOutcome(runtime, running.claimed, "w", {
            state: "SUCCEEDED",
            result: "",
          });
          assert.equal(end.state, "SUCCEEDED", where);
          const t = model.find((m) => m.id === running?.task.id) as ModelTask;
          t.state = "SUCCEEDED";
          running = null;
          trace.push("finish");
        }
        // The store agrees with the model after every step.
        const actual = (
          await store.listProvisioningTasks(connectorId, [], { pageSize: 100, after: null })
        ).items.map((t) => `${t.id}:${t.state}`);
        assert.deepEqual(
          actual,
          model.map((t) => `${t.id}:${t.state}`),
          `store and model (${where})`,
        );
      }
      // Leave nothing runnable for the next seed's connector.
      if (running) await recordTaskOutcome(runtime, running.claimed, "w", { state: "SUCCEEDED" });
      await store.transaction((tx) => tx.cancelOpenTasks(connectorId, "test over", Date.now()));
    }
  });
});

describe("the worker and provisioning tasks", () => {
  let worker: Worker | null = null;
  afterEach(async () => {
    await worker?.stop(1000);
    worker = null;
  });

  /** Runs a worker whose grants go to `grant` (a FAKE runner) and whose syncs are real. */
  function startWorker(
    grantFn: ConnectorRunner["grant"],
    options: ConstructorParameters<typeof Worker>[1] = {},
  ): Worker {
    worker = new Worker(runtime, {
      pollMs: 10,
      ...options,
      runnerFor: (connector, environment) => {
        const real = runnerFor(connector, environment);
        return {
          sync: (signal) => real.sync(signal),
          grant: grantFn,
          revoke: () => Promise.reject(new Error("not used")),
        };
      },
    });
    worker.start();
    return worker;
  }

  const ended = (connectorId: string, id: string) =>
    until(`task ${id} to end`, async () => {
      const task = await store.getProvisioningTask(connectorId, id);
      return task && ["SUCCEEDED", "FAILED", "CANCELED"].includes(task.state) ? task : null;
    });

  it("records a refusal as FAILED with the connector's message, and queues no sync", async () => {
    const connectorId = await syncedConnector("refusal");
    startWorker(() => Promise.reject(ConnectorError.fatal("only users can be granted")));
    const { task } = await grant(connectorId, 3);
    const done = await ended(connectorId, task.id);
    assert.equal(done.state, "FAILED");
    assert.match(done.error, /the connector refused or failed: only users can be granted/);
    const syncs = await store.listSyncs(connectorId, { pageSize: 10, after: null });
    assert.ok(!syncs.items.some((s) => s.trigger === "PROVISION"));
  });

  it("fails a task that outlives its timeout as outcome unknown, and never runs it again", async () => {
    const connectorId = await syncedConnector("timeout");
    let calls = 0;
    startWorker(
      (_e, _p, context) => {
        calls++;
        return new Promise((_resolve, reject) =>
          context.signal.addEventListener("abort", () => reject(new Error("stopped"))),
        );
      },
      { taskTimeoutMs: 200 },
    );
    const { task } = await grant(connectorId, 4);
    const done = await ended(connectorId, task.id);
    assert.equal(done.state, "FAILED");
    assert.match(
      done.error,
      /^outcome unknown; check and retry: the connector did not answer within/,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(calls, 1);
  });

  it("fails a task whose worker vanished (lease ran out) as outcome unknown", async () => {
    const connectorId = await syncedConnector("vanished");
    // A worker that died: it claimed the task and never renewed its lease.
    const { task } = await grant(connectorId, 5);
    const claimed = await claimNextTask(runtime, "dead-worker", 50);
    assert.equal(claimed?.task.id, task.id);
    let calls = 0;
    startWorker(async () => {
      calls++;
      return { result: "" };
    });
    const done = await ended(connectorId, task.id);
    assert.equal(done.state, "FAILED");
    assert.match(done.error, /^outcome unknown; check and retry: the runner of this task stopped/);
    assert.equal(calls, 0, "never run twice");
    // The dead worker's late answer is not recorded.
    const late = await recordTaskOutcome(
      runtime,
      claimed as NonNullable<typeof claimed>,
      "dead-worker",
      {
        state: "SUCCEEDED",
      },
    );
    assert.equal(late.state, "LOST");
  });

  it("runs tasks of one connector one at a time, and a PROVISION sync after them", async () => {
    const connectorId = await syncedConnector("serial");
    let inFlight = 0;
    let most = 0;
    startWorker(
      async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight--;
        return { result: "" };
      },
      { concurrency: 4 },
    );
    const ids = [];
    for (let user = 0; user < 4; user++) ids.push((await grant(connectorId, user)).task.id);
    for (const id of ids) assert.equal((await ended(connectorId, id)).state, "SUCCEEDED");
    assert.equal(most, 1);
    await until("the PROVISION sync", async () => {
      const syncs = await store.listSyncs(connectorId, { pageSize: 10, after: null });
      return syncs.items.some((s) => s.trigger === "PROVISION" && s.state === "SUCCEEDED");
    });
  });
});
