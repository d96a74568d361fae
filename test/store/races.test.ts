// Race tests on PostgreSQL: two stores on one database (two nodes), many callers at once, on
// every store operation with a uniqueness or ordering rule (src/store/store.ts, "Concurrency"):
// each claim hands a row to exactly one caller, the unique open rows stay unique, concurrent
// twins get an answer (never an error), and the commands built on them (ForceSync, PauseSync)
// keep their rules under contention.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { forceSync } from "../../src/commands/force-sync.js";
import { pauseSync } from "../../src/commands/pause-sync.js";
import type { ConnectorRecord } from "../../src/domain/model.js";
import type { ProvisioningTaskRecord } from "../../src/domain/provisioning.js";
import { newId, systemClock } from "../../src/runtime.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { connectorRecord } from "../helpers/fixtures.js";
import { freshDatabaseUrl } from "../helpers/postgres.js";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const CALLERS = 40;

let nodes: Store[] = [];
/** The store of caller `i` (callers alternate between the two nodes). */
const node = (i: number) => nodes[i % nodes.length] as Store;

before(async () => {
  const url = await freshDatabaseUrl();
  nodes = [await PostgresStore.open(url), await PostgresStore.open(url)];
});
after(async () => {
  for (const store of nodes) await store.close();
});

async function seedConnectors(count: number): Promise<ConnectorRecord[]> {
  const appId = newId();
  const connectors = Array.from({ length: count }, () =>
    connectorRecord(appId, NOW, { config: { "@type": "t", path: "/p" } }),
  );
  await node(0).transaction(async (tx) => {
    await tx.insertApp({
      id: appId,
      displayName: "races",
      description: "",
      attributes: {},
      createdAt: NOW,
      updatedAt: NOW,
    });
    for (const connector of connectors) await tx.insertConnector(connector);
  });
  return connectors;
}

const queue = (connector: ConnectorRecord, at = NOW) =>
  node(0).transaction((tx) =>
    tx.insertSync({
      id: newId(),
      connectorId: connector.id,
      appId: connector.appId,
      trigger: "FORCE",
      queuedAt: at,
      requestedBy: "t",
    }),
  );

function grantTask(connector: ConnectorRecord, user: string, at: number): ProvisioningTaskRecord {
  return {
    id: newId(),
    appId: connector.appId,
    connectorId: connector.id,
    kind: "GRANT",
    state: "QUEUED",
    entitlementId: "group:g:member",
    principal: { resourceTypeId: "user", resourceId: user },
    grantId: "",
    note: "",
    requestedBy: "t",
    createdAt: at,
    startedAt: null,
    finishedAt: null,
    result: "",
    error: "",
    leaseOwner: null,
    leaseExpiresAt: null,
  };
}

const everyone = <T>(work: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: CALLERS }, (_, i) => work(i)));

describe("PostgreSQL: two nodes racing", () => {
  it("claimSync hands each queued sync to exactly one claimer", async () => {
    const connectors = await seedConnectors(15);
    for (const connector of connectors) await queue(connector);
    const connectorIds = connectors.map((c) => c.id);
    const claimed = await everyone(async (i) => {
      const mine: string[] = [];
      for (;;) {
        const sync = (
          await node(i).claimSync({ owner: `w${i}`, now: NOW, leaseUntil: NOW + 60_000 })
        )?.sync;
        if (!sync) return mine;
        if (connectorIds.includes(sync.connectorId)) mine.push(sync.id);
      }
    });
    const all = claimed.flat();
    assert.equal(all.length, connectors.length, "every sync claimed");
    assert.equal(new Set(all).size, all.length, "none twice");
  });

  it("claimTask runs one task per connector at a time, oldest first", async () => {
    const [connector] = await seedConnectors(1);
    const c = connector as ConnectorRecord;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const task = grantTask(c, `u${i}`, NOW + i);
      ids.push(task.id);
      await node(0).transaction((tx) => tx.insertProvisioningTask({ task, requestKey: `k${i}` }));
    }
    const order: string[] = [];
    for (let round = 0; round < ids.length; round++) {
      const won = (
        await everyone((i) =>
          node(i).claimTask({
            owner: `w${i}`,
            now: NOW,
            leaseUntil: NOW + 60_000,
            connectorId: c.id,
          }),
        )
      ).flatMap((claim) => (claim ? [claim.task] : []));
      assert.equal(won.length, 1, `round ${round}: one claimer wins`);
      const task = won[0] as ProvisioningTaskRecord;
      order.push(task.id);
      await node(1).transaction((tx) =>
        tx.finishProvisioningTask(
          task.id,
          { state: "SUCCEEDED", finishedAt: NOW },
          task.leaseOwner ?? "",
        ),
      );
    }
    assert.deepEqual(order, ids, "creation order");
  });

  it("identical open grant requests share one task", async () => {
    const [connector] = await seedConnectors(1);
    const tasks = await everyone((i) =>
      node(i).transaction((tx) =>
        tx.insertProvisioningTask({
          task: grantTask(connector as ConnectorRecord, "same", NOW),
          requestKey: "grant:same",
        }),
      ),
    );
    assert.equal(new Set(tasks.map((task) => task.id)).size, 1);
  });

  it("insertHold: one caller adds the hold, the others are told it exists", async () => {
    const [connector] = await seedConnectors(1);
    const added = await everyone((i) =>
      node(i).transaction((tx) =>
        tx.insertHold((connector as ConnectorRecord).id, {
          kind: "PAUSED",
          actor: `a${i}`,
          note: "",
          createdAt: NOW,
        }),
      ),
    );
    assert.equal(added.filter(Boolean).length, 1);
  });

  it("claimSetting: one caller sets it", async () => {
    const won = await everyone((i) =>
      node(i).transaction((tx) => tx.claimSetting("race_once", `c${i}`, NOW)),
    );
    assert.equal(won.filter(Boolean).length, 1);
  });

  it("due schedules fired by many schedulers: each connector gets one sync", async () => {
    const connectors = await seedConnectors(20);
    await node(0).transaction(async (tx) => {
      for (const connector of connectors) {
        await tx.upsertSchedule({
          connectorId: connector.id,
          cronSpec: "0 0 1 1 *",
          timezone: "UTC",
          startAt: NOW,
          nextFireAt: NOW,
          updatedAt: NOW,
        });
      }
    });
    const queued = await everyone((i) =>
      node(i).transaction(async (tx) => {
        const due = await tx.claimDueSchedules(NOW, 5);
        return tx.fireSchedules(
          due.map((s) => ({ connectorId: s.connectorId, nextFireAt: NOW + 1e9, syncId: newId() })),
          "scheduler",
          NOW,
        );
      }),
    );
    assert.equal(queued.flat().length, connectors.length, "one sync per connector");
    for (const connector of connectors) {
      const snapshot = await node(1).transaction((tx) => tx.queueSnapshot(connector.id));
      assert.equal(snapshot.queued, 1);
    }
  });

  it("ForceSync and PauseSync from both nodes at once: one queued sync, one hold, no error", async () => {
    const [connector] = await seedConnectors(1);
    const c = connector as ConnectorRecord;
    const ref = { appId: c.appId, connectorId: c.id };
    const actor = { name: "racer", requestId: "" };
    const forced = await everyone((i) =>
      forceSync({ store: node(i), clock: systemClock }, actor, ref).then(
        () => "ok",
        (error: unknown) => String(error),
      ),
    );
    assert.deepEqual([...new Set(forced)], ["ok"]);
    assert.equal((await node(0).transaction((tx) => tx.queueSnapshot(c.id))).queued, 1);
    const paused = await everyone((i) =>
      pauseSync({ store: node(i), clock: systemClock }, actor, ref).then(
        () => "ok",
        (error: unknown) => String(error),
      ),
    );
    assert.deepEqual([...new Set(paused)], ["ok"]);
    assert.deepEqual(
      (await node(1).listHolds(c.id)).map((hold) => hold.kind),
      ["PAUSED"],
    );
    assert.equal((await node(1).transaction((tx) => tx.queueSnapshot(c.id))).queued, 0);
  });
});
