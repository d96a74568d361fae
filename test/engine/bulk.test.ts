// Bulk operations on both backends: a dry run rolls every command back (no hold, no sync, no
// audit event) while reporting what the real run then does.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../src/commands/apps.js";
import { bulkConnectors } from "../../src/commands/bulk.js";
import type { Runtime } from "../../src/commands/context.js";
import { createConnector } from "../../src/commands/connectors.js";
import type { Store } from "../../src/store/store.js";
import { storeBackends } from "../helpers/backends.js";

const actor = { name: "ops@example", requestId: "r" };
const backends = storeBackends("bulk");

for (const [name, open] of backends) {
  describe(`bulk operations (${name})`, () => {
    let store: Store;
    let runtime: Runtime;
    let appId: string;
    const ids: string[] = [];

    before(async () => {
      store = await open();
      runtime = { store, clock: { now: () => Date.now() } };
      appId = (await createApp(runtime, actor, { displayName: "bulk" })).id;
      for (let i = 0; i < 3; i++) {
        const created = await createConnector(runtime, actor, {
          appId,
          catalogId: "file",
          config: {
            "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
            path: "/tmp/bulk.json",
          },
          labels: { group: i < 2 ? "a" : "b" },
        });
        await store.transaction((tx) => tx.cancelQueuedSyncs(created.id, "test", Date.now()));
        ids.push(created.id);
      }
    });
    after(async () => {
      await store.close();
    });

    const state = async () => ({
      holds: (await store.listHoldsFor(ids)).size,
      queued: (
        await Promise.all(
          ids.map(
            async (id) =>
              (await store.listSyncs(id, { pageSize: 50, after: null, states: ["QUEUED"] })).items
                .length,
          ),
        )
      ).reduce((a, b) => a + b, 0),
      audit: (await store.listAuditEvents({ pageSize: 500, after: null })).items.length,
    });

    it("a dry run reports and keeps nothing; the real run does what it reported", async () => {
      const selector = { labels: { group: "a" } };
      const before = await state();
      const dryForce = await bulkConnectors(runtime, actor, {
        action: "force_sync",
        selector,
        dryRun: true,
      });
      assert.deepEqual(
        dryForce.map((r) => r.outcome),
        ["SYNC_QUEUED", "SYNC_QUEUED"],
      );
      const dryPause = await bulkConnectors(runtime, actor, {
        action: "pause",
        selector,
        dryRun: true,
        until: "2h",
      });
      assert.deepEqual(
        dryPause.map((r) => [r.connectorId, r.outcome]).sort(),
        [ids[0], ids[1]].map((id) => [id, "PAUSED"]).sort(),
      );
      assert.deepEqual(await state(), before, "nothing kept");

      const real = await bulkConnectors(runtime, actor, { action: "pause", selector, until: "2h" });
      assert.deepEqual(
        real.map((r) => r.outcome),
        ["PAUSED", "PAUSED"],
      );
      const after = await state();
      assert.equal(after.holds, 2);
      assert.equal(after.audit, before.audit + 2, "one audit event per connector");
      const forced = await bulkConnectors(runtime, actor, {
        action: "force_sync",
        selector: { appId },
      });
      const outcome = new Map(forced.map((r) => [r.connectorId, r]));
      assert.deepEqual(
        ids.map((id) => outcome.get(id)?.outcome),
        ["FAILED", "FAILED", "SYNC_QUEUED"],
      );
      assert.match(outcome.get(ids[0] as string)?.error ?? "", /connector is paused/);
    });
  });
}
