// Claiming queued syncs under leases and taking them back from stopped workers, on a real store
// with a fake clock.

import assert from "node:assert/strict";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createApp } from "../../src/commands/apps.js";
import type { Runtime } from "../../src/commands/context.js";
import { createConnector } from "../../src/commands/connectors.js";
import { forceSync } from "../../src/commands/force-sync.js";
import { pauseSync } from "../../src/commands/pause-sync.js";
import { resumeSync } from "../../src/commands/resume-sync.js";
import { claimNextSync, recoverLostLeases } from "../../src/engine/queue.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { tempDir } from "../helpers/server.js";

const actor = { name: "test", requestId: "" };
const LEASE = 30_000;
let store: SqliteStore;
let t = Date.parse("2026-08-01T00:00:00Z");
let runtime: Runtime;
let appId: string;

beforeEach(async () => {
  store = SqliteStore.open(join(tempDir("syncplane-queue-"), "syncplane.db"));
  runtime = { store, clock: { now: () => t } };
  appId = (await createApp(runtime, actor, { displayName: "queue" })).id;
});
afterEach(async () => {
  await store.close();
});

async function connector(): Promise<string> {
  const created = await createConnector(runtime, actor, {
    appId,
    catalogId: "file",
    config: {
      "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
      path: "/tmp/x.json",
    },
  });
  return created.id; // with its INITIAL sync queued
}

/** The connector's syncs as "TRIGGER:STATE:attempt", sorted (the fake clock gives them one time). */
const states = async (connectorId: string) =>
  (await store.listSyncs(connectorId, { pageSize: 50, after: null })).items
    .map((s) => `${s.trigger}:${s.state}:${s.attempt}`)
    .sort();

describe("claiming", () => {
  it("starts the oldest runnable sync under a lease and shows the connector RUNNING", async () => {
    const first = await connector();
    t += 1000;
    const second = await connector();
    const claimed = await claimNextSync(runtime, "worker-a", LEASE);
    assert.equal(claimed?.connector.id, first);
    assert.equal(claimed?.sync.state, "RUNNING");
    assert.equal(claimed?.sync.attempt, 1);
    assert.equal(claimed?.sync.leaseOwner, "worker-a");
    assert.equal(claimed?.sync.leaseExpiresAt, t + LEASE);
    assert.equal((await store.findConnector(first))?.syncStatus.status, "SYNC_STATUS_RUNNING");
    assert.equal((await claimNextSync(runtime, "worker-b", LEASE))?.connector.id, second);
    assert.equal(await claimNextSync(runtime, "worker-c", LEASE), null);
  });

  it("never runs two syncs of one connector", async () => {
    const id = await connector();
    await claimNextSync(runtime, "worker-a", LEASE);
    await forceSync(runtime, actor, { appId, connectorId: id }); // the follow-up
    assert.equal(await claimNextSync(runtime, "worker-b", LEASE), null);
    assert.deepEqual(await states(id), ["FORCE:QUEUED:0", "INITIAL:RUNNING:1"]);
  });

  it("leaves paused connectors alone, and scheduled syncs of data-drop-held ones", async () => {
    const paused = await connector();
    await pauseSync(runtime, actor, { appId, connectorId: paused });
    await resumeSync(runtime, actor, { appId, connectorId: paused });
    await pauseSync(runtime, actor, { appId, connectorId: paused }); // cancels the RESUME sync
    const held = await connector();
    await store.transaction(async (tx) => {
      await tx.cancelQueuedSyncs(held, "test", t);
      await tx.insertHold(held, {
        kind: "DATA_DROP",
        actor: "system",
        note: "user: 100 → 1 (-99.0%)",
        createdAt: t,
      });
      await tx.insertSync({
        id: "3MScheduledSync000000000001",
        connectorId: held,
        appId,
        trigger: "SCHEDULE",
        queuedAt: t,
        requestedBy: "scheduler",
      });
    });
    assert.equal(await claimNextSync(runtime, "worker-a", LEASE), null);
    await store.transaction((tx) => tx.cancelQueuedSyncs(held, "test", t));
    await forceSync(runtime, actor, { appId, connectorId: held });
    assert.equal(
      (await claimNextSync(runtime, "worker-a", LEASE))?.sync.trigger,
      "FORCE",
      "a person's sync runs under a data-drop hold",
    );
  });

  it("waits for a retry's backoff", async () => {
    const id = await connector();
    const claimed = await claimNextSync(runtime, "worker-a", LEASE);
    await store.transaction((tx) =>
      tx.requeueSync(claimed?.sync.id ?? "", t + 60_000, "rate limited", t),
    );
    assert.equal(await claimNextSync(runtime, "worker-a", LEASE), null);
    t += 60_000;
    const again = await claimNextSync(runtime, "worker-b", LEASE);
    assert.equal(again?.connector.id, id);
    assert.equal(again?.sync.attempt, 2);
  });
});

describe("leases", () => {
  it("renew only for their holder", async () => {
    await connector();
    const claimed = await claimNextSync(runtime, "worker-a", LEASE);
    const id = claimed?.sync.id ?? "";
    assert.equal(
      await store.transaction((tx) => tx.renewLease(id, "worker-a", 1, t + 2 * LEASE, t)),
      true,
    );
    assert.equal(
      await store.transaction((tx) => tx.renewLease(id, "worker-b", 1, t + 2 * LEASE, t)),
      false,
    );
  });

  it("that run out are retried, then given up after the last attempt", async () => {
    const id = await connector();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claimed = await claimNextSync(runtime, `worker-${attempt}`, LEASE);
      assert.equal(claimed?.sync.attempt, attempt);
      assert.deepEqual(
        await recoverLostLeases(runtime, 3),
        { requeued: 0, failed: 0, coalesced: 0 },
        "lease still valid",
      );
      t += LEASE + 1;
      const result = await recoverLostLeases(runtime, 3);
      assert.deepEqual(
        result,
        attempt < 3
          ? { requeued: 1, failed: 0, coalesced: 0 }
          : { requeued: 0, failed: 1, coalesced: 0 },
      );
    }
    const [sync] = (await store.listSyncs(id, { pageSize: 1, after: null })).items;
    assert.equal(sync?.state, "ERRORED");
    assert.match(sync?.error ?? "", /stopped, 3 times; giving up/);
    const status = (await store.findConnector(id))?.syncStatus;
    assert.equal(status?.status, "SYNC_STATUS_ERROR");
  });

  it("that run out while a follow-up is queued hand over to it", async () => {
    const id = await connector();
    await claimNextSync(runtime, "worker-a", LEASE);
    await forceSync(runtime, actor, { appId, connectorId: id });
    t += LEASE + 1;
    assert.deepEqual(await recoverLostLeases(runtime, 3), { requeued: 0, failed: 0, coalesced: 1 });
    assert.deepEqual(await states(id), ["FORCE:QUEUED:0", "INITIAL:CANCELED:1"]);
  });
});
