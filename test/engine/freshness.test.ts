// Freshness targets with the scheduler and a fake clock, on both backends: planned from the
// applied sync's start and the syncs' durations, fired when due, looked at again when a planned
// sync is not applied, and replaced by a cron.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { applySync } from "../../src/commands/apply-sync.js";
import { createApp } from "../../src/commands/apps.js";
import type { Runtime } from "../../src/commands/context.js";
import { createConnector } from "../../src/commands/connectors.js";
import { updateConnectorSchedule } from "../../src/commands/update-schedule.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import type { Store } from "../../src/store/store.js";
import { storeBackends } from "../helpers/backends.js";

const MIN = 60_000;
const H = 60 * MIN;
const alice = { name: "alice@example", requestId: "req-1" };

const backends = storeBackends("freshness");

for (const [name, open] of backends) {
  describe(`freshness targets (${name})`, () => {
    let store: Store;
    let t = Date.parse("2026-12-07T10:00:00Z");
    let runtime: Runtime;
    let scheduler: Scheduler;
    let appId: string;

    before(async () => {
      store = await open();
      runtime = { store, clock: { now: () => t } };
      scheduler = new Scheduler(runtime);
      appId = (await createApp(runtime, alice, { displayName: "fresh" })).id;
    });
    after(async () => {
      await store.close();
    });

    const queued = async (id: string) =>
      (await store.listSyncs(id, { pageSize: 50, after: null, states: ["QUEUED"] })).items;

    /** Runs the connector's queued sync from `start` for `ms`, applied or ERRORED. */
    async function run(id: string, start: number, ms: number, applied: boolean): Promise<void> {
      const [sync] = await queued(id);
      assert.ok(sync, "a queued sync");
      await store.transaction((tx) => tx.startSync(sync.id, "w", start, start + H));
      await store.transaction(async (tx) => {
        const connector = await tx.lockConnector(appId, id);
        assert.ok(connector);
        await tx.finishSync(sync.id, {
          state: applied ? "SUCCEEDED" : "ERRORED",
          finishedAt: start + ms,
          error: applied ? "" : "boom",
        });
        if (applied) await applySync(tx, connector, sync.id, start + ms);
      });
    }

    it("plans from the applied sync's start, fires when due, and looks again after a failure", async () => {
      const created = await createConnector(runtime, alice, {
        appId,
        catalogId: "file",
        config: {
          "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
          path: "/tmp/fresh.json",
        },
      });
      const id = created.id;
      await store.transaction((tx) => tx.cancelQueuedSyncs(id, "test", t));
      await updateConnectorSchedule(runtime, alice, {
        appId,
        connectorId: id,
        freshness: { maxAge: "2h" },
      });
      let schedule = await store.getSchedule(id);
      assert.equal(schedule?.maxAgeMs, 2 * H);
      assert.equal(schedule?.cronSpec, "");
      assert.equal(schedule?.nextFireAt, t, "no data yet: at once");

      assert.equal((await scheduler.tick()).enqueued, 1);
      schedule = await store.getSchedule(id);
      assert.equal(
        schedule?.nextFireAt,
        t + 5 * MIN + 12 * MIN,
        "looks again once it should have ended",
      );

      // The sync takes 10 minutes and is applied: the next one is planned from its start.
      const started = t;
      await run(id, started, 10 * MIN, true);
      t += 10 * MIN;
      schedule = await store.getSchedule(id);
      assert.equal(schedule?.expectedMs, 10 * MIN);
      const next = schedule?.nextFireAt ?? 0;
      const period = next - started;
      assert.ok(
        period <= 2 * H - 22 * MIN && period >= 2 * H - 34 * MIN,
        `planned ${period / MIN} min after the data's start`,
      );

      t = next - 1000;
      assert.equal((await scheduler.tick()).fired, 0);
      t = next;
      assert.equal((await scheduler.tick()).enqueued, 1);

      // This one fails: the scheduler tries again once it should have ended.
      await run(id, t, 3 * MIN, false);
      schedule = await store.getSchedule(id);
      const recheck = schedule?.nextFireAt ?? 0;
      assert.equal(recheck, next + 10 * MIN + 12 * MIN);
      t = recheck;
      assert.equal((await scheduler.tick()).enqueued, 1);

      // A cron replaces the target.
      await store.transaction((tx) => tx.cancelQueuedSyncs(id, "test", t));
      await updateConnectorSchedule(runtime, alice, {
        appId,
        connectorId: id,
        cron: { cronSpec: "0 * * * *", timezone: "UTC" },
      });
      schedule = await store.getSchedule(id);
      assert.equal(schedule?.maxAgeMs, null);
      assert.equal(schedule?.cronSpec, "0 * * * *");
    });
  });
}
