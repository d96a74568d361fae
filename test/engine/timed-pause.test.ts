// Timed pauses end by themselves: the scheduler resumes the connector at `until`, as ResumeSync
// would, recorded as the system acting for the person who paused. On both backends, with a fake
// clock.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../src/commands/apps.js";
import type { Runtime } from "../../src/commands/context.js";
import { createConnector } from "../../src/commands/connectors.js";
import { pauseSync } from "../../src/commands/pause-sync.js";
import { resumeSync } from "../../src/commands/resume-sync.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import type { Store } from "../../src/store/store.js";
import { storeBackends } from "../helpers/backends.js";

const H = 3600_000;
const alice = { name: "alice@example", requestId: "req-1" };

const backends = storeBackends("timed-pause");

for (const [name, open] of backends) {
  describe(`timed pause (${name})`, () => {
    let store: Store;
    let t = Date.parse("2026-12-07T10:00:00Z");
    let runtime: Runtime;
    let scheduler: Scheduler;
    let appId: string;

    before(async () => {
      store = await open();
      runtime = { store, clock: { now: () => t } };
      scheduler = new Scheduler(runtime);
      appId = (await createApp(runtime, alice, { displayName: "timed" })).id;
    });
    after(async () => {
      await store.close();
    });

    /** A file connector without a schedule, its INITIAL sync taken off the queue. */
    async function connector(): Promise<string> {
      const created = await createConnector(runtime, alice, {
        appId,
        catalogId: "file",
        config: {
          "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
          path: "/tmp/timed-pause.json",
        },
      });
      await store.transaction((tx) => tx.cancelQueuedSyncs(created.id, "test", t));
      return created.id;
    }

    const pausedHold = async (id: string) =>
      (await store.listHolds(id)).find((hold) => hold.kind === "PAUSED");
    const queued = async (id: string) =>
      (await store.listSyncs(id, { pageSize: 50, after: null })).items.filter(
        (sync) => sync.state === "QUEUED",
      );

    it("resumes at until: one RESUME sync, the hold gone, audited as the system for the pauser", async () => {
      const id = await connector();
      await pauseSync(runtime, alice, { appId, connectorId: id, note: "window", until: "2h" });
      assert.equal((await pausedHold(id))?.until, t + 2 * H);

      t += H; // not yet
      assert.equal((await scheduler.tick()).resumed, 0);
      assert.ok(await pausedHold(id));

      t += H + 500; // due
      assert.equal((await scheduler.tick()).resumed, 1);
      assert.equal(await pausedHold(id), undefined);
      const syncs = await queued(id);
      assert.deepEqual(
        syncs.map((sync) => [sync.trigger, sync.requestedBy]),
        [["RESUME", "system"]],
      );
      const events = await store.listAuditEvents({
        objectType: "connector",
        objectId: id,
        pageSize: 10,
        after: null,
      });
      const resumed = events.items.find((event) => event.action === "connector.resume");
      assert.equal(resumed?.actor, "system");
      assert.equal(resumed?.details.onBehalfOf, alice.name);
      assert.equal(resumed?.details.reason, "the timed pause ended");
      assert.equal(resumed?.details.syncId, syncs[0]?.id);
      assert.equal((await scheduler.tick()).resumed, 0, "once");
    });

    it("a new pause replaces the timer; one without until leaves none", async () => {
      const id = await connector();
      await pauseSync(runtime, alice, { appId, connectorId: id, until: "1h" });
      await pauseSync(runtime, alice, { appId, connectorId: id, until: "3h" });
      t += 2 * H;
      assert.equal((await scheduler.tick()).resumed, 0, "the first timer was replaced");
      await pauseSync(runtime, alice, { appId, connectorId: id });
      t += 10 * H;
      assert.equal((await scheduler.tick()).resumed, 0, "no timer any more");
      assert.equal((await pausedHold(id))?.until, null);
    });

    it("a manual ResumeSync ends the timer; a later pause without until is not resumed", async () => {
      const id = await connector();
      await pauseSync(runtime, alice, { appId, connectorId: id, until: "1h" });
      await resumeSync(runtime, alice, { appId, connectorId: id });
      await store.transaction((tx) => tx.cancelQueuedSyncs(id, "test", t));
      await pauseSync(runtime, alice, { appId, connectorId: id });
      t += 2 * H;
      assert.equal((await scheduler.tick()).resumed, 0);
      assert.ok(await pausedHold(id));
    });

    it("two schedulers resume a due pause once", async () => {
      const id = await connector();
      await pauseSync(runtime, alice, { appId, connectorId: id, until: "1h" });
      t += H;
      const other = new Scheduler(runtime);
      const [a, b] = await Promise.all([scheduler.tick(), other.tick()]);
      assert.equal(a.resumed + b.resumed, 1);
      assert.equal((await queued(id)).length, 1);
    });
  });
}
