// The Store contract: one suite that every backend must pass. Each backend's test file calls
// storeContract() with a function that opens a fresh, empty store of that backend.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ConnectorRecord } from "../../src/domain/model.js";
import type { ProvisioningTaskRecord } from "../../src/domain/provisioning.js";
import type { WebhookEvent, WebhookRecord } from "../../src/domain/webhooks.js";
import { connectorRecord } from "../helpers/fixtures.js";
import { newId } from "../../src/runtime.js";
import { ALL_LANES } from "../../src/store/diff.js";
import type { Store, SyncListQuery } from "../../src/store/store.js";

export function storeContract(backend: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${backend}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    const now = Date.parse("2026-06-01T12:00:00Z");

    async function seedConnector(appId?: string): Promise<ConnectorRecord> {
      const app = appId ?? newId();
      if (!appId) {
        await store.transaction((tx) =>
          tx.insertApp({
            id: app,
            displayName: "app",
            description: "",
            attributes: { iconUrl: "x" },
            createdAt: now,
            updatedAt: now,
          }),
        );
      }
      const connector = connectorRecord(app, now, {
        syncResourceTypeIds: ["user"],
        config: { "@type": "t", path: "/p" },
      });
      await store.transaction((tx) => tx.insertConnector(connector));
      return connector;
    }

    /** A GRANT task of `connector` for user `id`, created at `at`. */
    function taskRecord(
      connector: ConnectorRecord,
      id: string,
      state: "QUEUED" | "HELD",
      at: number,
    ): ProvisioningTaskRecord {
      return {
        id,
        appId: connector.appId,
        connectorId: connector.id,
        kind: "GRANT",
        state,
        entitlementId: "group:g:member",
        principal: { resourceTypeId: "user", resourceId: id },
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

    it("keeps settings: put overwrites, claim sets only once", async () => {
      assert.equal(await store.getSetting("contract_key"), null);
      await store.transaction((tx) => tx.putSetting("contract_key", "a", now));
      await store.transaction((tx) => tx.putSetting("contract_key", "b", now));
      assert.equal(await store.getSetting("contract_key"), "b");
      assert.equal(
        await store.transaction((tx) => tx.claimSetting("contract_once", "x", now)),
        true,
      );
      assert.equal(
        await store.transaction((tx) => tx.claimSetting("contract_once", "y", now)),
        false,
      );
      assert.equal(await store.getSetting("contract_once"), "x");
    });

    it("stores and pages apps, and hides deleted ones", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = newId();
        ids.push(id);
        await store.transaction((tx) =>
          tx.insertApp({
            id,
            displayName: `app ${i}`,
            description: "d",
            attributes: { monthlyCostUsd: i },
            createdAt: now,
            updatedAt: now,
          }),
        );
      }
      const got = await store.getApp(ids[0] as string);
      assert.deepEqual(got?.attributes, { monthlyCostUsd: 0 });
      await store.transaction((tx) =>
        tx.updateApp(ids[0] as string, { displayName: "renamed" }, now + 1),
      );
      assert.equal((await store.getApp(ids[0] as string))?.displayName, "renamed");
      assert.equal(
        (await store.getApp(ids[0] as string))?.description,
        "d",
        "untouched fields stay",
      );
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listApps({ pageSize: 2, after });
        seen.push(...page.items.map((app) => app.id));
        after = page.nextKey;
      } while (after);
      for (const id of ids) assert.ok(seen.includes(id));
      assert.deepEqual([...seen].sort(), seen, "ordered by id");
      await store.transaction((tx) => tx.deleteApp(ids[1] as string, now + 2));
      assert.equal(await store.getApp(ids[1] as string), null);
    });

    it("patches connectors field by field and locks them in a transaction", async () => {
      const connector = await seedConnector();
      await store.transaction((tx) =>
        tx.updateConnector(
          connector.id,
          { description: "new", disableCheckBadSync: true },
          now + 5,
        ),
      );
      const updated = await store.getConnector(connector.appId, connector.id);
      assert.equal(updated?.description, "new");
      assert.equal(updated?.disableCheckBadSync, true);
      assert.equal(updated?.displayName, "c");
      assert.deepEqual(updated?.config, connector.config);
      assert.equal(updated?.configUpdatedAt, connector.configUpdatedAt, "config untouched");
      assert.equal(updated?.updatedAt, now + 5);
      assert.deepEqual(updated?.labels, {});
      // Labels and a data-drop policy with per-type limits: written, read back, replaced.
      const policy = {
        thresholdPercent: 30,
        minRows: 3,
        resourceTypes: { user: { thresholdPercent: 5, minRows: 1 } },
      };
      await store.transaction((tx) =>
        tx.updateConnector(
          connector.id,
          { labels: { team: "hr" }, dataDropPolicy: policy },
          now + 5,
        ),
      );
      const labelled = await store.getConnector(connector.appId, connector.id);
      assert.deepEqual([labelled?.labels, labelled?.dataDropPolicy], [{ team: "hr" }, policy]);
      await store.transaction((tx) =>
        tx.updateConnector(
          connector.id,
          { dataDropPolicy: { thresholdPercent: 40, minRows: 4 } },
          now + 5,
        ),
      );
      const plain = await store.getConnector(connector.appId, connector.id);
      assert.deepEqual(
        [plain?.labels, plain?.dataDropPolicy],
        [{ team: "hr" }, { thresholdPercent: 40, minRows: 4 }],
      );
      const locked = await store.transaction((tx) =>
        tx.lockConnector(connector.appId, connector.id),
      );
      assert.equal(locked?.id, connector.id);
      assert.equal(await store.getConnector("other-app", connector.id), null, "scoped by app");
      assert.equal(await store.transaction((tx) => tx.countConnectors(connector.appId)), 1);
      await store.transaction((tx) => tx.deleteConnector(connector.id, now + 6));
      assert.equal(await store.getConnector(connector.appId, connector.id), null);
      assert.equal(await store.transaction((tx) => tx.countConnectors(connector.appId)), 0);
    });

    it("keeps one hold per kind", async () => {
      const connector = await seedConnector();
      const hold = { kind: "PAUSED" as const, actor: "a", note: "n", createdAt: now };
      assert.equal(await store.transaction((tx) => tx.insertHold(connector.id, hold)), true);
      assert.equal(
        await store.transaction((tx) => tx.insertHold(connector.id, { ...hold, note: "again" })),
        false,
      );
      await store.transaction((tx) =>
        tx.insertHold(connector.id, { ...hold, kind: "DATA_DROP", createdAt: now + 1 }),
      );
      assert.deepEqual(
        (await store.listHolds(connector.id)).map((h) => `${h.kind}:${h.note}`),
        ["PAUSED:n", "DATA_DROP:n"],
      );
      const many = await store.listHoldsFor([connector.id, "none"]);
      assert.equal(many.get(connector.id)?.length, 2);
      assert.equal(many.get("none"), undefined);
      assert.equal(await store.transaction((tx) => tx.deleteHold(connector.id, "PAUSED")), true);
      assert.equal(await store.transaction((tx) => tx.deleteHold(connector.id, "PAUSED")), false);
      assert.deepEqual(
        (await store.listHolds(connector.id)).map((h) => h.kind),
        ["DATA_DROP"],
      );
    });

    it("keeps a pause's timer, replaces it, and lists the timed pauses that are due", async () => {
      const a = await seedConnector();
      const b = await seedConnector();
      const base = { kind: "PAUSED" as const, actor: "p", note: "", createdAt: now };
      await store.transaction(async (tx) => {
        await tx.insertHold(a.id, { ...base, until: now + 100 });
        await tx.insertHold(b.id, { ...base, until: now + 50 });
        await tx.insertHold(b.id, { ...base, kind: "DATA_DROP", until: null });
      });
      assert.equal((await store.listHolds(a.id))[0]?.until, now + 100);
      const due = (at: number) =>
        store
          .timedPausesDue(at, 10)
          .then((list) =>
            list
              .filter((p) => p.connectorId === a.id || p.connectorId === b.id)
              .map((p) => p.connectorId),
          );
      assert.deepEqual(await due(now + 49), []);
      assert.deepEqual(await due(now + 100), [b.id, a.id], "earliest first, PAUSED only");
      const [first] = await store
        .timedPausesDue(now + 50, 10)
        .then((list) => list.filter((p) => p.connectorId === b.id));
      assert.deepEqual(
        [first?.appId, first?.hold.actor, first?.hold.until],
        [b.appId, "p", now + 50],
      );
      assert.equal(
        await store.transaction((tx) =>
          tx.updateHold(b.id, "PAUSED", { actor: "q", note: "later", until: now + 500 }),
        ),
        true,
      );
      assert.deepEqual(await due(now + 100), [a.id]);
      const replaced = (await store.listHolds(b.id)).find((h) => h.kind === "PAUSED");
      assert.deepEqual(
        [replaced?.actor, replaced?.note, replaced?.until, replaced?.createdAt],
        ["q", "later", now + 500, now],
      );
      await store.transaction((tx) =>
        tx.updateHold(a.id, "PAUSED", { actor: "p", note: "", until: null }),
      );
      assert.deepEqual(await due(now + 1000), [b.id]);
      assert.equal(
        await store.transaction((tx) =>
          tx.updateHold(a.id, "DATA_DROP", { actor: "p", note: "", until: null }),
        ),
        false,
        "no such hold",
      );
    });

    it("reads the metrics snapshot: queue, oldest runnable, tasks, holds, connected processes", async () => {
      const base = await store.metricsSnapshot(now);
      const a = await seedConnector();
      const b = await seedConnector();
      await store.transaction(async (tx) => {
        await tx.insertSync({
          id: newId(),
          connectorId: a.id,
          appId: a.appId,
          trigger: "FORCE",
          queuedAt: now - 700,
          requestedBy: "m",
        });
        await tx.insertSync({
          id: newId(),
          connectorId: b.id,
          appId: b.appId,
          trigger: "SCHEDULE",
          queuedAt: now - 300,
          requestedBy: "m",
        });
        await tx.insertHold(b.id, { kind: "DATA_DROP", actor: "s", note: "", createdAt: now });
        await tx.recordHello({
          connectorId: a.id,
          hostId: "h",
          sdk: "s",
          capabilities: [],
          helloAt: now,
          lastSeenAt: now,
          pollMs: 1000,
        });
      });
      const snap = await store.metricsSnapshot(now);
      const count = (rows: readonly { count: number }[], pick: (row: never) => boolean) =>
        rows.filter(pick as (row: unknown) => boolean).reduce((sum, row) => sum + row.count, 0);
      const queuedOf = (s: typeof snap, trigger: string) =>
        count(
          s.syncs,
          (row: { state: string; trigger: string }) =>
            row.state === "QUEUED" && row.trigger === trigger,
        );
      assert.equal(queuedOf(snap, "FORCE") - queuedOf(base, "FORCE"), 1);
      assert.equal(queuedOf(snap, "SCHEDULE") - queuedOf(base, "SCHEDULE"), 1);
      assert.ok(snap.oldestRunnableQueuedAt !== null && snap.oldestRunnableQueuedAt <= now - 700);
      const dataDrops = (s: typeof snap) =>
        count(s.holds, (row: { kind: string }) => row.kind === "DATA_DROP");
      assert.equal(dataDrops(snap) - dataDrops(base), 1);
      assert.equal(snap.connectedServiceConnectors - base.connectedServiceConnectors, 1);
      const later = await store.metricsSnapshot(now + 3 * 1000 + 30_000 + 1);
      assert.ok(later.connectedServiceConnectors <= snap.connectedServiceConnectors - 1);
      await store.transaction(async (tx) => {
        await tx.cancelQueuedSyncs(a.id, "done", now);
        await tx.cancelQueuedSyncs(b.id, "done", now);
        await tx.deleteHold(b.id, "DATA_DROP");
      });
    });

    it("upserts and deletes schedules", async () => {
      const connector = await seedConnector();
      const schedule = {
        connectorId: connector.id,
        cronSpec: "0 * * * *",
        timezone: "UTC",
        startAt: now,
        nextFireAt: now + 3600_000,
        updatedAt: now,
      };
      await store.transaction((tx) => tx.upsertSchedule(schedule));
      await store.transaction((tx) =>
        tx.upsertSchedule({ ...schedule, cronSpec: "@daily", nextFireAt: null }),
      );
      assert.deepEqual(await store.getSchedule(connector.id), {
        ...schedule,
        cronSpec: "@daily",
        nextFireAt: null,
        maxAgeMs: null,
        expectedMs: null,
      });

      assert.equal(
        (await store.getSchedulesFor([connector.id])).get(connector.id)?.cronSpec,
        "@daily",
      );
      // A freshness target instead, and a new plan that also records the duration it assumed.
      await store.transaction((tx) =>
        tx.upsertSchedule({ ...schedule, cronSpec: "", maxAgeMs: 7_200_000, expectedMs: 60_000 }),
      );
      await store.transaction((tx) => tx.setNextFire(connector.id, now + 5_000, now, 90_000));
      const fresh = await store.getSchedule(connector.id);
      assert.deepEqual(
        [fresh?.maxAgeMs, fresh?.expectedMs, fresh?.nextFireAt],
        [7_200_000, 90_000, now + 5_000],
      );
      await store.transaction((tx) => tx.setNextFire(connector.id, now + 6_000, now));
      assert.equal((await store.getSchedule(connector.id))?.expectedMs, 90_000, "kept");
      assert.equal(await store.transaction((tx) => tx.deleteSchedule(connector.id)), true);
      assert.equal(await store.getSchedule(connector.id), null);
    });

    it("hands out due schedules earliest first and reports the next fire", async () => {
      const early = await seedConnector();
      const late = await seedConnector(early.appId);
      const base = { cronSpec: "0 * * * *", timezone: "UTC", startAt: now, updatedAt: now };
      await store.transaction(async (tx) => {
        await tx.upsertSchedule({ ...base, connectorId: late.id, nextFireAt: now - 1000 });
        await tx.upsertSchedule({ ...base, connectorId: early.id, nextFireAt: now - 5000 });
      });
      const due = await store.transaction((tx) => tx.claimDueSchedules(now, 10));
      const mine = due.filter((s) => s.connectorId === early.id || s.connectorId === late.id);
      assert.deepEqual(
        mine.map((s) => s.connectorId),
        [early.id, late.id],
      );
      assert.equal(
        (await store.transaction((tx) => tx.claimDueSchedules(now - 2000, 10))).some(
          (s) => s.connectorId === late.id,
        ),
        false,
      );
      await store.transaction(async (tx) => {
        for (const s of due) await tx.setNextFire(s.connectorId, now + 3_600_000, now);
      });
      assert.equal((await store.getSchedule(early.id))?.nextFireAt, now + 3_600_000);
      assert.ok(((await store.nextScheduledFire()) ?? 0) >= now, "nothing due any more");
    });

    it("claims a sync in one statement: holds by trigger, tasks first, each sync once", async () => {
      // Queued ten days before the other tests' syncs: a claim at that time sees only these.
      const at = now - 10 * 86_400_000;
      const [free, dropped, paused, busy] = [
        await seedConnector(),
        await seedConnector(),
        await seedConnector(),
        await seedConnector(),
      ];
      const ids = new Map<string, string>();
      await store.transaction(async (tx) => {
        for (const [connector, trigger] of [
          [free, "FORCE"],
          [dropped, "SCHEDULE"],
          [paused, "FORCE"],
          [busy, "FORCE"],
        ] as const) {
          const id = newId();
          ids.set(connector.id, id);
          await tx.insertSync({
            id,
            connectorId: connector.id,
            appId: connector.appId,
            trigger,
            queuedAt: at,
            requestedBy: "t",
          });
        }
        const hold = { actor: "t", note: "", createdAt: at };
        await tx.insertHold(dropped.id, { ...hold, kind: "DATA_DROP" });
        await tx.insertHold(paused.id, { ...hold, kind: "PAUSED" });
        await tx.insertProvisioningTask({
          task: taskRecord(busy, newId(), "QUEUED", at),
          requestKey: "k",
        });
      });
      const claim = async (owner: string, connectorId?: string) =>
        (
          await store.claimSync({
            owner,
            now: at,
            leaseUntil: at + 100,
            ...(connectorId && { connectorId }),
          })
        )?.sync ?? null;
      const claimedWith = await store.claimSync({ owner: "w1", now: at, leaseUntil: at + 100 });
      const first = claimedWith?.sync;
      assert.equal(first?.id, ids.get(free.id));
      // The claim marks the connector running, and answers with the connector as it left it.
      assert.equal(claimedWith?.connector.id, free.id);
      assert.equal(claimedWith?.connector.syncStatus.status, "SYNC_STATUS_RUNNING");
      assert.equal(claimedWith?.connector.syncStatus.startedAt, at);
      assert.deepEqual(await store.findConnector(free.id), claimedWith?.connector);
      assert.deepEqual(
        [first?.state, first?.attempt, first?.leaseOwner, first?.leaseExpiresAt, first?.startedAt],
        ["RUNNING", 1, "w1", at + 100, at],
      );
      assert.deepEqual(
        (await store.listSyncEvents(first?.id as string)).map((e) => e.state),
        ["QUEUED", "RUNNING"],
      );
      // A DATA_DROP hold keeps a SCHEDULE sync back, a pause everything, a queued task its sync.
      assert.equal(await claim("w2"), null);
      assert.equal(await claim("w2", dropped.id), null);
      assert.equal(await claim("w2", paused.id), null);
      assert.equal(await claim("w2", busy.id), null);
      await store.transaction((tx) => tx.deleteHold(paused.id, "PAUSED"));
      assert.equal(await claim("w2", free.id), null, "a connector scope claims only its own");
      assert.equal((await claim("w2", paused.id))?.id, ids.get(paused.id));
      assert.equal(await claim("w3"), null, "each sync is claimed once");
      assert.equal(
        await store.transaction((tx) =>
          tx.claimSync({
            owner: "w4",
            now: at,
            leaseUntil: at + 1,
            exceptCatalogs: [free.catalogId],
          }),
        ),
        null,
        "the same claim inside a transaction",
      );
      await store.transaction((tx) => tx.cancelOpenTasks(busy.id, "done", at));
    });

    it("claims provisioning tasks in one statement, in creation order, never under a pause", async () => {
      const connector = await seedConnector();
      const paused = await seedConnector();
      const [a, b, c] = [newId(), newId(), newId()];
      await store.transaction(async (tx) => {
        await tx.insertProvisioningTask({
          task: taskRecord(connector, a, "QUEUED", now),
          requestKey: "a",
        });
        await tx.insertProvisioningTask({
          task: taskRecord(connector, b, "QUEUED", now),
          requestKey: "b",
        });
        await tx.insertProvisioningTask({
          task: taskRecord(paused, c, "QUEUED", now),
          requestKey: "c",
        });
        await tx.insertHold(paused.id, { kind: "PAUSED", actor: "t", note: "", createdAt: now });
      });
      const claim = async (connectorId: string) =>
        (await store.claimTask({ owner: "w", now, leaseUntil: now + 100, connectorId }))?.task ??
        null;
      const claimedWith = await store.transaction((tx) =>
        tx.claimTask({ owner: "w", now, leaseUntil: now + 100, connectorId: connector.id }),
      );
      const first = claimedWith?.task;
      assert.deepEqual([first?.id, first?.state, first?.leaseOwner], [a, "RUNNING", "w"]);
      assert.deepEqual(claimedWith?.connector, await store.findConnector(connector.id));
      assert.equal(await claim(connector.id), null, "one running task per connector");
      assert.equal(await claim(paused.id), null, "a pause holds even a QUEUED task");
      await store.transaction((tx) =>
        tx.finishProvisioningTask(a, { state: "SUCCEEDED", finishedAt: now }),
      );
      assert.equal((await claim(connector.id))?.id, b);
      await store.transaction(async (tx) => {
        await tx.finishProvisioningTask(b, { state: "SUCCEEDED", finishedAt: now });
        await tx.cancelOpenTasks(paused.id, "done", now);
      });
    });

    it("fires due schedules as a set: next fires advanced, one sync per connector that may run", async () => {
      const [plain, held, busy, gone] = [
        await seedConnector(),
        await seedConnector(),
        await seedConnector(),
        await seedConnector(),
      ];
      const queuedId = newId();
      await store.transaction(async (tx) => {
        await tx.insertHold(held.id, { kind: "DATA_DROP", actor: "t", note: "", createdAt: now });
        await tx.insertSync({
          id: queuedId,
          connectorId: busy.id,
          appId: busy.appId,
          trigger: "FORCE",
          queuedAt: now,
          requestedBy: "t",
        });
        await tx.deleteConnector(gone.id, now);
      });
      const fires = [plain, held, busy, gone].map((c, i) => ({
        connectorId: c.id,
        nextFireAt: i === 0 ? null : now + 60_000,
        syncId: newId(),
      }));
      const queued = await store.transaction(async (tx) => {
        for (const c of [plain, held, busy, gone]) {
          await tx.upsertSchedule({
            connectorId: c.id,
            cronSpec: "* * * * *",
            timezone: "UTC",
            startAt: now,
            nextFireAt: now,
            updatedAt: now,
          });
        }
        return tx.fireSchedules(fires, "scheduler", now + 5);
      });
      assert.deepEqual(queued, [fires[0]?.syncId]);
      const sync = await store.getSync(plain.id, fires[0]?.syncId as string);
      assert.deepEqual(
        [sync?.state, sync?.trigger, sync?.requestedBy, sync?.queuedAt],
        ["QUEUED", "SCHEDULE", "scheduler", now + 5],
      );
      assert.deepEqual(
        (await store.listSyncEvents(sync?.id as string)).map((e) => e.state),
        ["QUEUED"],
      );
      assert.equal((await store.getSchedule(plain.id))?.nextFireAt, null);
      assert.equal((await store.getSchedule(held.id))?.nextFireAt, now + 60_000);
      assert.equal((await store.getSchedule(busy.id))?.nextFireAt, now + 60_000);
      assert.equal(
        (await store.transaction((tx) => tx.queueSnapshot(busy.id))).queued,
        1,
        "coalesced into the queued one",
      );
      assert.deepEqual(await store.transaction((tx) => tx.fireSchedules([], "scheduler", now)), []);
    });

    it("allows one QUEUED and one RUNNING sync per connector, whatever the caller does", async () => {
      const connector = await seedConnector();
      const sync = (id: string, queuedAt: number) => ({
        id,
        connectorId: connector.id,
        appId: connector.appId,
        trigger: "FORCE" as const,
        queuedAt,
        requestedBy: "t",
      });
      const first = newId();
      await store.transaction((tx) => tx.insertSync(sync(first, now)));
      await assert.rejects(store.transaction((tx) => tx.insertSync(sync(newId(), now + 1))));
      assert.deepEqual(await store.transaction((tx) => tx.queueSnapshot(connector.id)), {
        queued: 1,
        running: 0,
      });
      await store.transaction((tx) => tx.setSyncState(first, ["QUEUED"], "RUNNING", now + 2));
      const second = newId();
      await store.transaction((tx) => tx.insertSync(sync(second, now + 3)));
      assert.deepEqual(await store.transaction((tx) => tx.queueSnapshot(connector.id)), {
        queued: 1,
        running: 1,
      });
      await assert.rejects(
        store.transaction((tx) => tx.setSyncState(second, ["QUEUED"], "RUNNING", now + 4)),
      );
      assert.deepEqual(
        await store.transaction((tx) => tx.cancelQueuedSyncs(connector.id, "paused", now + 5)),
        [second],
      );
      const canceled = await store.getSync(connector.id, second);
      assert.equal(canceled?.state, "CANCELED");
      assert.equal(canceled?.error, "paused");
      assert.equal(canceled?.finishedAt, null);
    });

    it("moves syncs only along the domain's lifecycle edges", async () => {
      const connector = await seedConnector();
      const id = newId();
      const now = Date.now();
      await store.transaction((tx) =>
        tx.insertSync({
          id,
          connectorId: connector.id,
          appId: connector.appId,
          trigger: "FORCE",
          queuedAt: now,
          requestedBy: "t",
        }),
      );
      // Not RUNNING: finishing or requeueing changes nothing and says so.
      const finish = { state: "SUCCEEDED" as const, finishedAt: now + 1, error: "" };
      assert.equal(await store.transaction((tx) => tx.finishSync(id, finish)), false);
      assert.equal(await store.transaction((tx) => tx.requeueSync(id, now, "x", now)), false);
      assert.equal((await store.getSync(connector.id, id))?.state, "QUEUED");
      // An edge the domain lacks is refused before any SQL runs.
      await assert.rejects(
        store.transaction((tx) => tx.setSyncState(id, ["QUEUED"], "SUCCEEDED", now)),
        /QUEUED → SUCCEEDED is not a lifecycle edge/,
      );
      await assert.rejects(
        store.transaction((tx) => tx.finishSync(id, { ...finish, state: "CONFIRMED" })),
        /RUNNING → CONFIRMED is not a lifecycle edge/,
      );
      assert.equal(await store.transaction((tx) => tx.startSync(id, "w", now, now + 9)), true);
      assert.equal(await store.transaction((tx) => tx.finishSync(id, finish)), true);
      assert.equal(await store.transaction((tx) => tx.finishSync(id, finish)), false);
      assert.equal((await store.getSync(connector.id, id))?.state, "SUCCEEDED");
      assert.deepEqual(
        (await store.listSyncEvents(id)).map((event) => event.state),
        ["QUEUED", "RUNNING", "SUCCEEDED"],
        "no event for a refused move",
      );
    });

    it("runs the queue: runnable syncs, leases, expiry and requeue", async () => {
      const connector = await seedConnector();
      const id = newId();
      await store.transaction((tx) =>
        tx.insertSync({
          id,
          connectorId: connector.id,
          appId: connector.appId,
          trigger: "FORCE",
          queuedAt: now,
          requestedBy: "t",
        }),
      );
      const runnable = await store.transaction((tx) => tx.runnableSyncs(now, 1000));
      assert.ok(runnable.some((s) => s.id === id));
      assert.equal(await store.transaction((tx) => tx.startSync(id, "w1", now, now + 100)), true);
      assert.equal(
        await store.transaction((tx) => tx.startSync(id, "w2", now, now + 100)),
        false,
        "only once",
      );
      const running = await store.getSync(connector.id, id);
      assert.deepEqual(
        [
          running?.state,
          running?.attempt,
          running?.leaseOwner,
          running?.leaseExpiresAt,
          running?.startedAt,
        ],
        ["RUNNING", 1, "w1", now + 100, now],
      );
      const follow = newId();
      await store.transaction((tx) =>
        tx.insertSync({
          id: follow,
          connectorId: connector.id,
          appId: connector.appId,
          trigger: "FORCE",
          queuedAt: now + 1,
          requestedBy: "t",
        }),
      );
      assert.ok(
        !(await store.transaction((tx) => tx.runnableSyncs(now + 10, 1000))).some(
          (s) => s.connectorId === connector.id,
        ),
        "its connector runs a sync",
      );
      const report = {
        attempt: 1,
        phase: "CONNECTOR" as const,
        message: "Syncing users",
        at: now + 40,
      };
      assert.equal(
        await store.transaction((tx) => tx.renewLease(id, "w1", 1, now + 150, now + 40, report)),
        true,
      );
      assert.deepEqual((await store.getSync(connector.id, id))?.progress, report);
      // A renewal without progress keeps the last report; another worker's changes nothing.
      assert.equal(
        await store.transaction((tx) => tx.renewLease(id, "w1", 1, now + 200, now + 50)),
        true,
      );
      assert.deepEqual((await store.getSync(connector.id, id))?.progress, report);
      assert.equal(
        await store.transaction((tx) =>
          tx.renewLease(id, "w2", 1, now + 300, now + 50, { ...report, message: "not mine" }),
        ),
        false,
      );
      assert.deepEqual((await store.getSync(connector.id, id))?.progress, report);
      assert.ok(
        !(await store.transaction((tx) => tx.expiredLeases(now + 150, 100))).some(
          (s) => s.id === id,
        ),
      );
      assert.ok(
        (await store.transaction((tx) => tx.expiredLeases(now + 250, 100))).some(
          (s) => s.id === id,
        ),
      );
      await store.transaction((tx) => tx.cancelQueuedSyncs(connector.id, "test", now + 250));
      await store.transaction((tx) => tx.requeueSync(id, now + 1000, "retry", now + 250));
      const requeued = await store.getSync(connector.id, id);
      assert.deepEqual(
        [requeued?.state, requeued?.runAfter, requeued?.error, requeued?.leaseOwner],
        ["QUEUED", now + 1000, "retry", null],
      );
      assert.ok(
        !(await store.transaction((tx) => tx.runnableSyncs(now + 999, 1000))).some(
          (s) => s.id === id,
        ),
        "not before run_after",
      );
      assert.ok(
        (await store.transaction((tx) => tx.runnableSyncs(now + 1000, 1000))).some(
          (s) => s.id === id,
        ),
      );
      // The cancel above hit only the follow-up; this sync went QUEUED → RUNNING → QUEUED.
      assert.deepEqual(
        (await store.listSyncEvents(id)).map((e) => `${e.state}:${e.attempt}:${e.at}`),
        [`QUEUED:0:${now}`, `RUNNING:1:${now}`, `QUEUED:1:${now + 250}`],
        "every transition is recorded",
      );
    });

    it("finds the latest finished sync, ignoring canceled ones, and pages history newest first", async () => {
      const connector = await seedConnector();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = newId();
        ids.push(id);
        await store.transaction(async (tx) => {
          await tx.insertSync({
            id,
            connectorId: connector.id,
            appId: connector.appId,
            trigger: "SCHEDULE",
            queuedAt: now + i * 10,
            requestedBy: "s",
          });
          if (i < 3) {
            await tx.startSync(id, "w", now + i * 10, now + i * 10 + 60_000);
            await tx.finishSync(id, {
              state: i === 2 ? "ERRORED_NO_DATA" : "SUCCEEDED",
              finishedAt: now + i * 10 + 5,
              counts: { resources: { user: 10 - i }, entitlements: 1, grants: 2 },
              baselineCounts: null,
              error: "",
            });
          } else {
            await tx.cancelQueuedSyncs(connector.id, "paused", now + 50);
          }
        });
      }
      const latest = await store.transaction((tx) => tx.latestFinishedSync(connector.id));
      assert.equal(latest?.id, ids[2]);
      assert.equal(latest?.state, "ERRORED_NO_DATA");
      assert.deepEqual(latest?.counts, { resources: { user: 8 }, entitlements: 1, grants: 2 });
      const pages: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listSyncs(connector.id, { pageSize: 3, after });
        pages.push(...page.items.map((s) => s.id));
        after = page.nextKey;
      } while (after);
      assert.deepEqual(pages, [...ids].reverse());
      // Each connector's newest sync at once: the canceled one here, none for a connector without.
      const quiet = await seedConnector(connector.appId);
      const newest = await store.latestSyncsFor([connector.id, quiet.id, "no-such-connector"]);
      assert.deepEqual([...newest.keys()], [connector.id]);
      assert.equal(newest.get(connector.id)?.id, ids[3]);
      assert.equal(newest.get(connector.id)?.state, "CANCELED");
      assert.equal((await store.latestSyncsFor([])).size, 0);
    });

    it("lists every live connector across apps by id, in pages", async () => {
      const a = await seedConnector();
      const b = await seedConnector();
      const gone = await seedConnector(a.appId);
      await store.transaction((tx) => tx.deleteConnector(gone.id, now));
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listAllConnectors({ pageSize: 2, after });
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((c) => c.id));
        after = page.nextKey;
      } while (after);
      assert.deepEqual(
        seen,
        [...seen].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
      );
      assert.ok(seen.includes(a.id) && seen.includes(b.id));
      assert.ok(!seen.includes(gone.id));
      assert.equal(new Set(seen).size, seen.length);
    });

    it("filters sync history by state, trigger and queue time, paging through the filtered rows", async () => {
      const connector = await seedConnector();
      const made: { id: string; trigger: "FORCE" | "SCHEDULE"; state: string; at: number }[] = [];
      for (let i = 0; i < 8; i++) {
        const id = newId();
        const trigger = i % 2 === 0 ? ("FORCE" as const) : ("SCHEDULE" as const);
        const at = now + i * 100;
        const failed = i % 3 === 0;
        await store.transaction(async (tx) => {
          await tx.insertSync({
            id,
            connectorId: connector.id,
            appId: connector.appId,
            trigger,
            queuedAt: at,
            requestedBy: "s",
          });
          await tx.startSync(id, "w", at, at + 60_000);
          await tx.finishSync(id, {
            state: failed ? "ERRORED" : "SUCCEEDED",
            finishedAt: at + 5,
            error: failed ? "boom" : "",
          });
        });
        made.push({ id, trigger, state: failed ? "ERRORED" : "SUCCEEDED", at });
      }
      const all = async (query: Omit<SyncListQuery, "pageSize" | "after">) => {
        const ids: string[] = [];
        let after: string | null = null;
        do {
          const page = await store.listSyncs(connector.id, { ...query, pageSize: 2, after });
          ids.push(...page.items.map((sync) => sync.id));
          after = page.nextKey;
        } while (after);
        return ids;
      };
      const expect = (keep: (m: (typeof made)[number]) => boolean) =>
        made
          .filter(keep)
          .map((m) => m.id)
          .reverse();
      assert.deepEqual(
        await all({ states: ["ERRORED"] }),
        expect((m) => m.state === "ERRORED"),
      );
      assert.deepEqual(
        await all({ triggers: ["FORCE"] }),
        expect((m) => m.trigger === "FORCE"),
      );
      assert.deepEqual(
        await all({ states: ["SUCCEEDED"], triggers: ["SCHEDULE", "RESUME"] }),
        expect((m) => m.state === "SUCCEEDED" && m.trigger === "SCHEDULE"),
      );
      assert.deepEqual(
        await all({ queuedFrom: now + 200, queuedBefore: now + 600 }),
        expect((m) => m.at >= now + 200 && m.at < now + 600),
      );
      assert.deepEqual(
        await all({ states: [], triggers: [] }),
        expect(() => true),
      );
      assert.deepEqual(await all({ states: ["CANCELED"] }), []);
    });

    it("resolves live access tokens only", async () => {
      const id = newId();
      await store.transaction((tx) =>
        tx.insertCredential({
          id,
          clientId: `c-${id}@h/s`,
          name: "c",
          role: "viewer",
          connectorId: null,
          publicJwk: { kty: "OKP", crv: "Ed25519", x: "x" },
          secretHash: "00",
          createdAt: now,
          createdBy: "t",
          revokedAt: null,
          lastUsedAt: null,
        }),
      );
      await store.transaction(async (tx) => {
        await tx.insertAccessToken({
          tokenHash: `live-${id}`,
          credentialId: id,
          issuedAt: now,
          expiresAt: now + 1000,
        });
        await tx.insertAccessToken({
          tokenHash: `old-${id}`,
          credentialId: id,
          issuedAt: now,
          expiresAt: now - 1,
        });
      });
      assert.equal((await store.findAccessToken(`live-${id}`, now))?.id, id);
      assert.equal(await store.findAccessToken(`old-${id}`, now), null);
      assert.equal(
        await store.findAccessToken(`live-${id}`, now + 1000),
        null,
        "expired at expiresAt",
      );
      assert.ok((await store.transaction((tx) => tx.deleteExpiredAccessTokens(now))) >= 1);
      assert.equal(await store.transaction((tx) => tx.revokeCredential(id, now + 1)), true);
      assert.equal(await store.transaction((tx) => tx.revokeCredential(id, now + 2)), false);
      assert.equal(await store.findAccessToken(`live-${id}`, now), null);
      assert.equal((await store.getCredential(id))?.revokedAt, now + 1);
    });

    it("lists audit events newest first, filtered and paged", async () => {
      const object = newId();
      for (let i = 0; i < 5; i++) {
        await store.transaction((tx) =>
          tx.insertAuditEvent({
            id: newId(),
            at: now + i,
            actor: "a",
            action: `act.${i}`,
            objectType: "connector",
            objectId: object,
            requestId: "r",
            details: { i },
          }),
        );
      }
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listAuditEvents({
          pageSize: 2,
          after,
          objectType: "connector",
          objectId: object,
        });
        seen.push(...page.items.map((e) => e.action));
        after = page.nextKey;
      } while (after);
      assert.deepEqual(seen, ["act.4", "act.3", "act.2", "act.1", "act.0"]);
      const other = await store.listAuditEvents({
        pageSize: 10,
        after: null,
        objectType: "app",
        objectId: object,
      });
      assert.equal(other.items.length, 0);
    });

    it("rolls back a failed command without touching commands committed with it", async () => {
      const connector = await seedConnector();
      const hold = (kind: "PAUSED" | "DATA_DROP") => ({
        kind,
        actor: "a",
        note: "",
        createdAt: now,
      });
      const results = await Promise.allSettled([
        store.transaction((tx) => tx.insertHold(connector.id, hold("PAUSED"))),
        store.transaction(async (tx) => {
          await tx.insertHold(connector.id, hold("DATA_DROP"));
          throw new Error("command failed after a write");
        }),
        store.transaction((tx) =>
          tx.upsertSchedule({
            connectorId: connector.id,
            cronSpec: "@daily",
            timezone: "UTC",
            startAt: now,
            nextFireAt: null,
            updatedAt: now,
          }),
        ),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ["fulfilled", "rejected", "fulfilled"],
      );
      assert.deepEqual(
        (await store.listHolds(connector.id)).map((h) => h.kind),
        ["PAUSED"],
      );
      assert.equal((await store.getSchedule(connector.id))?.cronSpec, "@daily");
    });

    it("shows readers only committed state", async () => {
      const connector = await seedConnector();
      let seenInside: number | null = null;
      await store.transaction(async (tx) => {
        await tx.insertHold(connector.id, { kind: "PAUSED", actor: "a", note: "", createdAt: now });
        seenInside = (await store.listHolds(connector.id)).length;
      });
      assert.equal(seenInside, 0, "the reader does not see the open transaction");
      assert.equal((await store.listHolds(connector.id)).length, 1);
    });

    it("lists a stored sync's inventory with filters, pages and keys that contain colons", async () => {
      const syncId = newId();
      const other = newId();
      const types = [
        { id: "group", displayName: "Group", traits: ["GROUP" as const], skipDataDropCheck: false },
        { id: "user", displayName: "User", traits: ["USER" as const], skipDataDropCheck: true },
      ];
      const users = Array.from({ length: 7 }, (_, i) => ({
        resourceTypeId: "user",
        resourceId: `u:${i}`,
        displayName: `User ${i}`,
        parent: i === 0 ? { resourceTypeId: "group", resourceId: "g1" } : null,
      }));
      const entitlements = ["g1", "g2"].map((g) => ({
        id: `group:${g}:member`,
        resourceTypeId: "group",
        resourceId: g,
        slug: "member",
        displayName: `${g} member`,
      }));
      const grants = users.map((u, i) => ({
        id: `group:g${(i % 2) + 1}:member:user:${u.resourceId}`,
        entitlementId: `group:g${(i % 2) + 1}:member`,
        principal: { resourceTypeId: "user", resourceId: u.resourceId },
      }));
      await store.transaction((tx) =>
        tx.insertInventory(syncId, {
          resourceTypes: types,
          resources: [
            ...users,
            { resourceTypeId: "group", resourceId: "g1", displayName: "G1", parent: null },
          ],
          entitlements,
          grants,
          grantPrincipals: grants,
        }),
      );
      await store.transaction((tx) =>
        tx.insertInventory(other, { resourceTypes: types, resources: users.slice(0, 1) }),
      );

      assert.deepEqual(await store.listInventoryResourceTypes(syncId), types);
      const all: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listInventoryResources(syncId, {}, { pageSize: 3, after });
        all.push(...page.items.map((r) => `${r.resourceTypeId}/${r.resourceId}`));
        after = page.nextKey;
      } while (after);
      assert.deepEqual(all, ["group/g1", ...users.map((u) => `user/${u.resourceId}`)]);
      const usersOnly = await store.listInventoryResources(
        syncId,
        { resourceTypeId: "user" },
        { pageSize: 2, after: null },
      );
      assert.deepEqual(usersOnly.items[0], users[0]);
      const next = await store.listInventoryResources(
        syncId,
        { resourceTypeId: "user" },
        { pageSize: 10, after: usersOnly.nextKey },
      );
      assert.equal(next.items.length, 5);
      assert.equal(next.nextKey, null);

      const byResource = await store.listInventoryEntitlements(
        syncId,
        { resourceTypeId: "group", resourceId: "g2" },
        { pageSize: 10, after: null },
      );
      assert.deepEqual(byResource.items, [entitlements[1]]);
      const byResourceIdAlone = await store.listInventoryEntitlements(
        syncId,
        { resourceId: "g2" },
        { pageSize: 10, after: null },
      );
      assert.deepEqual(byResourceIdAlone.items, [entitlements[1]]);

      const ofEntitlement = await store.listInventoryGrants(
        syncId,
        { entitlementId: "group:g1:member" },
        { pageSize: 10, after: null },
      );
      assert.equal(ofEntitlement.items.length, 4);
      const ofPrincipal = await store.listInventoryGrants(
        syncId,
        { principal: { resourceTypeId: "user", resourceId: "u:3" } },
        { pageSize: 10, after: null },
      );
      assert.deepEqual(ofPrincipal.items, [grants[3]]);
      const ofPrincipalId = await store.listInventoryGrants(
        syncId,
        { principal: { resourceId: "u:3" } },
        { pageSize: 10, after: null },
      );
      assert.deepEqual(ofPrincipalId.items, [grants[3]]);
      // By principal type alone: pages in principal order, each page an index range.
      const toUsers: string[] = [];
      let afterGrant: string | null = null;
      do {
        const page = await store.listInventoryGrants(
          syncId,
          { principal: { resourceTypeId: "user" }, entitlementId: "group:g1:member" },
          { pageSize: 3, after: afterGrant },
        );
        toUsers.push(...page.items.map((grant) => grant.id));
        afterGrant = page.nextKey;
      } while (afterGrant);
      assert.deepEqual(
        toUsers,
        grants.filter((grant) => grant.entitlementId === "group:g1:member").map((g) => g.id),
      );
      const toGroups = await store.listInventoryGrants(
        syncId,
        { principal: { resourceTypeId: "group" } },
        { pageSize: 3, after: null },
      );
      assert.deepEqual(toGroups.items, []);
      const firstPage = await store.listInventoryGrants(syncId, {}, { pageSize: 5, after: null });
      const rest = await store.listInventoryGrants(
        syncId,
        {},
        { pageSize: 5, after: firstPage.nextKey },
      );
      assert.equal(firstPage.items.length + rest.items.length, grants.length);
      await assert.rejects(
        store.listInventoryGrants(syncId, {}, { pageSize: 5, after: "not a key" }),
        /page_token/,
      );
    });

    it("says which syncs' inventory is unneeded: replaced, finished, or of a deleted connector", async () => {
      const connector = await seedConnector();
      const other = await seedConnector();
      const ids: Record<string, string> = {};
      const states = ["SUCCEEDED", "ERRORED_NO_DATA", "SUCCEEDED", "RUNNING"] as const;
      for (const [i, state] of states.entries()) {
        const id = newId();
        ids[`${state}${i}`] = id;
        await store.transaction(async (tx) => {
          await tx.insertSync({
            id,
            connectorId: connector.id,
            appId: connector.appId,
            trigger: "FORCE",
            queuedAt: now + i,
            requestedBy: "t",
          });
          await tx.startSync(id, "w", now, now + 60_000);
          if (state !== "RUNNING") await tx.finishSync(id, { state, finishedAt: now + i });
          await tx.insertInventory(id, {
            resourceTypes: [{ id: "user", displayName: "U", traits: [], skipDataDropCheck: false }],
          });
        });
      }
      const applied = ids.SUCCEEDED2 as string;
      await store.transaction((tx) => tx.setAppliedSync(connector.id, applied, now));
      const otherSync = newId();
      await store.transaction(async (tx) => {
        await tx.insertSync({
          id: otherSync,
          connectorId: other.id,
          appId: other.appId,
          trigger: "FORCE",
          queuedAt: now,
          requestedBy: "t",
        });
        await tx.startSync(otherSync, "w", now, now + 60_000);
        await tx.finishSync(otherSync, { state: "SUCCEEDED", finishedAt: now });
        await tx.insertInventory(otherSync, {
          resourceTypes: [{ id: "user", displayName: "U", traits: [], skipDataDropCheck: false }],
        });
        await tx.setAppliedSync(other.id, otherSync, now);
      });
      const unneeded = async () => new Set(await store.unneededInventorySyncs(100));
      let found = await unneeded();
      assert.ok(found.has(ids.SUCCEEDED0 as string), "a replaced sync");
      assert.ok(!found.has(ids.ERRORED_NO_DATA1 as string), "a held sync");
      assert.ok(!found.has(applied), "the applied sync");
      assert.ok(!found.has(ids.RUNNING3 as string), "a running sync");
      assert.ok(!found.has(otherSync), "another connector's applied sync");
      await store.transaction((tx) => tx.deleteConnector(connector.id, now));
      found = await unneeded();
      assert.ok(found.has(applied) && found.has(ids.ERRORED_NO_DATA1 as string));
      assert.ok(!found.has(ids.RUNNING3 as string), "still running");
      assert.ok(!found.has(otherSync));
    });

    it("keeps provisioning tasks in queue order: one open task per request, one running per connector", async () => {
      const connector = await seedConnector();
      const task = (id: string, user: string, state: "QUEUED" | "HELD" = "QUEUED") => ({
        requestKey: `grant:${user}`,
        task: {
          id,
          appId: connector.appId,
          connectorId: connector.id,
          kind: "GRANT" as const,
          state,
          entitlementId: "group:g:member",
          principal: { resourceTypeId: "user", resourceId: user },
          grantId: "",
          note: "n",
          requestedBy: "t",
          createdAt: now,
          startedAt: null,
          finishedAt: null,
          result: "",
          error: "",
          leaseOwner: null,
          leaseExpiresAt: null,
        },
      });
      const [a, b, c, d] = [newId(), newId(), newId(), newId()];
      const first = await store.transaction((tx) => tx.insertProvisioningTask(task(a, "u1")));
      assert.equal(first.id, a);
      assert.equal(first.state, "QUEUED");
      // An identical open request finds the open task (no error, no second row).
      const dup = await store.transaction((tx) => tx.insertProvisioningTask(task(b, "u1")));
      assert.equal(dup.id, a);
      await store.transaction((tx) => tx.insertProvisioningTask(task(c, "u2")));
      await store.transaction((tx) => tx.insertProvisioningTask(task(d, "u3")));
      const list = async (
        ...states: ("QUEUED" | "HELD" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELED")[]
      ) =>
        (
          await store.listProvisioningTasks(connector.id, states, { pageSize: 10, after: null })
        ).items.map((t) => t.id);
      assert.deepEqual(await list(), [a, c, d]);
      const page1 = await store.listProvisioningTasks(connector.id, [], {
        pageSize: 2,
        after: null,
      });
      assert.deepEqual(
        page1.items.map((t) => t.id),
        [a, c],
      );
      const page2 = await store.listProvisioningTasks(connector.id, [], {
        pageSize: 2,
        after: page1.nextKey,
      });
      assert.deepEqual(
        page2.items.map((t) => t.id),
        [d],
      );
      assert.equal(page2.nextKey, null);

      // A pause holds all queued tasks; a release keeps creation order.
      assert.deepEqual(await store.transaction((tx) => tx.holdQueuedTasks(connector.id, now)), [
        a,
        c,
        d,
      ]);
      assert.deepEqual(await store.transaction((tx) => tx.runnableTasks(10)), []);
      assert.deepEqual((await store.provisioningCounts([connector.id])).get(connector.id), {
        queued: 0,
        held: 3,
        running: 0,
      });
      assert.equal(await store.transaction((tx) => tx.cancelProvisioningTask(c, "no", now)), true);
      assert.equal(await store.transaction((tx) => tx.cancelProvisioningTask(c, "no", now)), false);
      assert.deepEqual(await store.transaction((tx) => tx.releaseHeldTasks(connector.id, now)), [
        a,
        d,
      ]);
      assert.deepEqual(await list("QUEUED"), [a, d]);
      assert.deepEqual(await list("CANCELED"), [c]);

      // The oldest queued task of a connector that runs none; then nothing until it ends.
      assert.deepEqual(
        (await store.transaction((tx) => tx.runnableTasks(10))).map((t) => t.id),
        [a],
      );
      assert.equal(
        await store.transaction((tx) => tx.startProvisioningTask(a, "w1", now, now + 100)),
        true,
      );
      assert.equal(
        await store.transaction((tx) => tx.startProvisioningTask(a, "w2", now, now + 100)),
        false,
      );
      assert.deepEqual(await store.transaction((tx) => tx.runnableTasks(10)), []);
      // A sync is not claimed while the connector has tasks queued or running.
      const syncId = newId();
      await store.transaction((tx) =>
        tx.insertSync({
          id: syncId,
          connectorId: connector.id,
          appId: connector.appId,
          trigger: "FORCE",
          queuedAt: now,
          requestedBy: "t",
        }),
      );
      assert.ok(
        !(await store.transaction((tx) => tx.runnableSyncs(now, 100))).some((s) => s.id === syncId),
      );
      assert.equal(
        await store.transaction((tx) => tx.renewTaskLease(a, "w2", now + 500, now)),
        false,
      );
      assert.equal(
        await store.transaction((tx) => tx.renewTaskLease(a, "w1", now + 500, now)),
        true,
      );
      assert.deepEqual(await store.transaction((tx) => tx.expiredTaskLeases(now + 400, 10)), []);
      assert.deepEqual(
        (await store.transaction((tx) => tx.expiredTaskLeases(now + 600, 10))).map((t) => t.id),
        [a],
      );
      assert.equal(
        await store.transaction((tx) =>
          tx.finishProvisioningTask(a, { state: "SUCCEEDED", finishedAt: now, result: "r" }, "w2"),
        ),
        false,
        "only the lease holder may finish it",
      );
      assert.equal(
        await store.transaction((tx) =>
          tx.finishProvisioningTask(
            a,
            { state: "SUCCEEDED", finishedAt: now, result: "already exists" },
            "w1",
          ),
        ),
        true,
      );
      const done = await store.getProvisioningTask(connector.id, a);
      assert.equal(done?.state, "SUCCEEDED");
      assert.equal(done?.result, "already exists");
      assert.equal(done?.leaseOwner, null);
      assert.equal(
        await store.transaction((tx) =>
          tx.finishProvisioningTask(a, { state: "FAILED", finishedAt: now }),
        ),
        false,
        "an ended task stays ended",
      );
      // A new request identical to an ended one is a new task.
      const again = await store.transaction((tx) =>
        tx.insertProvisioningTask(task(newId(), "u1", "HELD")),
      );
      assert.notEqual(again.id, a);
      assert.equal(again.state, "HELD");
      assert.equal(await store.getProvisioningTask("other-connector", a), null);
      assert.deepEqual(
        (await store.transaction((tx) => tx.cancelOpenTasks(connector.id, "deleted", now))).sort(),
        [again.id, d].sort(),
      );
      // The sync may run now: nothing is queued or running.
      assert.ok(
        (await store.transaction((tx) => tx.runnableSyncs(now, 100))).some((s) => s.id === syncId),
      );
    });

    it("works out a diff in slices, pages it by lane and key, keeps the replaced sync, and deletes it with either side", async () => {
      const connector = await seedConnector();
      const types = [
        { id: "user", displayName: "U", traits: [], skipDataDropCheck: false },
        { id: "group", displayName: "G", traits: [], skipDataDropCheck: false },
      ];
      const user = (i: number) => ({
        resourceTypeId: "user",
        resourceId: `u:${String(i).padStart(2, "0")}`,
        displayName: `U${i}`,
        parent: null,
      });
      const member = {
        id: "group:g:1:member",
        resourceTypeId: "group",
        resourceId: "g:1",
        slug: "member",
        displayName: "M",
      };
      const grant = (i: number) => ({
        id: `${member.id}:user:${user(i).resourceId}`,
        entitlementId: member.id,
        principal: { resourceTypeId: "user", resourceId: user(i).resourceId },
      });
      /** A finished sync holding users `from`..`to` and a grant to each. */
      const stored = async (from: number, to: number, state: "SUCCEEDED" | "ERRORED_NO_DATA") => {
        const id = newId();
        const users = Array.from({ length: to - from + 1 }, (_, i) => user(from + i));
        await store.transaction(async (tx) => {
          await tx.insertSync({
            id,
            connectorId: connector.id,
            appId: connector.appId,
            trigger: "FORCE",
            queuedAt: now,
            requestedBy: "t",
          });
          await tx.startSync(id, "w", now, now + 60_000);
          await tx.finishSync(id, { state, finishedAt: now });
          await tx.insertInventory(id, {
            resourceTypes: types,
            resources: [
              ...users,
              { resourceTypeId: "group", resourceId: "g:1", displayName: "G", parent: null },
            ],
            entitlements: [member],
            grants: users.map((_, i) => grant(from + i)),
          });
        });
        return id;
      };
      const first = await stored(0, 9, "SUCCEEDED");
      const base = await stored(0, 19, "SUCCEEDED");
      await store.transaction((tx) => tx.setAppliedSync(connector.id, first, now));
      await store.transaction((tx) => tx.setAppliedSync(connector.id, base, now));
      // Setting the same sync again keeps the replaced one.
      await store.transaction((tx) => tx.setAppliedSync(connector.id, base, now));
      const read = await store.getConnector(connector.appId, connector.id);
      assert.equal(read?.appliedSyncId, base);
      assert.equal(read?.previousAppliedSyncId, first);
      assert.ok(
        !(await store.unneededInventorySyncs(100)).includes(first),
        "the replaced sync is kept",
      );
      const held = await stored(5, 24, "ERRORED_NO_DATA"); // u00–u04 removed, u20–u24 added

      assert.equal(await store.getInventoryDiff(held, base), null);
      await store.transaction((tx) => tx.startInventoryDiff(held, base, now));
      assert.deepEqual(await store.getInventoryDiff(held, base), { totals: null });
      let slices = 0;
      for (const lane of ALL_LANES) {
        let after: string | null = null;
        do {
          const from: string | null = after;
          const next: string | null | "gone" = await store.transaction((tx) =>
            tx.diffInventorySlice(held, base, lane, from, 3),
          );
          assert.notEqual(next, "gone");
          after = next as string | null;
          slices++;
        } while (after !== null);
      }
      assert.ok(slices > 12, `slices of 3 keys: ${slices}`);
      // A slice run twice adds nothing twice.
      await store.transaction((tx) =>
        tx.diffInventorySlice(held, base, { kind: "grants", change: "removed" }, null, 100),
      );
      const totals = await store.transaction((tx) => tx.finishInventoryDiff(held, base));
      const five = { removed: 5, added: 5 };
      assert.deepEqual(totals, {
        resources: five,
        entitlements: { removed: 0, added: 0 },
        grants: five,
        byResourceType: [
          // Grants count under their entitlement's resource type.
          {
            resourceTypeId: "group",
            resources: { removed: 0, added: 0 },
            entitlements: { removed: 0, added: 0 },
            grants: five,
          },
          {
            resourceTypeId: "user",
            resources: five,
            entitlements: { removed: 0, added: 0 },
            grants: { removed: 0, added: 0 },
          },
        ],
      });
      assert.deepEqual((await store.getInventoryDiff(held, base))?.totals, totals);

      const removed: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listInventoryDiff(
          held,
          base,
          { kind: "resources", change: "removed" },
          undefined,
          { pageSize: 2, after },
        );
        for (const item of page.items) {
          assert.equal(item.change, "removed");
          if (item.kind === "resources")
            removed.push(`${item.resource.resourceId}=${item.resource.displayName}`);
        }
        after = page.nextKey;
      } while (after !== null);
      assert.deepEqual(removed, ["u:00=U0", "u:01=U1", "u:02=U2", "u:03=U3", "u:04=U4"]);
      const added = await store.listInventoryDiff(
        held,
        base,
        { kind: "grants", change: "added" },
        "group",
        { pageSize: 10, after: null },
      );
      assert.deepEqual(
        added.items.map((item) => (item.kind === "grants" ? item.grant.principal.resourceId : "")),
        ["u:20", "u:21", "u:22", "u:23", "u:24"],
      );
      assert.equal(added.nextKey, null);
      const none = await store.listInventoryDiff(
        held,
        base,
        { kind: "grants", change: "added" },
        "user",
        { pageSize: 10, after: null },
      );
      assert.equal(none.items.length, 0);

      // Compared with nothing: everything is added.
      await store.transaction((tx) => tx.startInventoryDiff(first, null, now));
      for (const lane of ALL_LANES) {
        await store.transaction((tx) => tx.diffInventorySlice(first, null, lane, null, 1000));
      }
      const fresh = await store.transaction((tx) => tx.finishInventoryDiff(first, null));
      assert.deepEqual(fresh?.resources, { removed: 0, added: 11 });

      // Deleting the base's diffs (as its inventory goes) takes the diff's rows, in slices, then its header.
      let went = 0;
      for (;;) {
        const n = await store.transaction((tx) => tx.deleteInventoryDiffs(base, 4));
        if (n === 0) break;
        went += n;
      }
      assert.equal(went, 20 + 1, "20 rows and the header");
      assert.equal(await store.getInventoryDiff(held, base), null);
      assert.equal(
        await store.transaction((tx) =>
          tx.diffInventorySlice(held, base, { kind: "grants", change: "removed" }, null, 10),
        ),
        "gone",
      );
      assert.ok(await store.getInventoryDiff(first, null), "other diffs stay");
    });

    it("fans webhook events out to the subscriptions that want them, claims and settles deliveries under a lease", async () => {
      const connector = await seedConnector();
      const hook = (id: string, over: Partial<WebhookRecord> = {}): WebhookRecord => ({
        id,
        url: `https://hooks.example/${id}`,
        secret: "whsec_c2VjcmV0",
        eventTypes: ["sync.held", "connector.failing"],
        appId: null,
        failureThreshold: 3,
        description: "",
        createdBy: "t",
        createdAt: now,
        updatedAt: now,
        ...over,
      });
      const all = hook(newId());
      const otherApp = hook(newId(), { appId: "another-app" });
      const erroredOnly = hook(newId(), { eventTypes: ["sync.errored"] });
      const failingAt2 = hook(newId(), { eventTypes: ["connector.failing"], failureThreshold: 2 });
      await store.transaction(async (tx) => {
        for (const w of [all, otherApp, erroredOnly, failingAt2]) await tx.insertWebhook(w);
      });
      assert.deepEqual((await store.getWebhook(all.id))?.eventTypes, [
        "connector.failing",
        "sync.held",
      ]);
      const event = (type: WebhookEvent["type"], streak?: number): WebhookEvent => ({
        id: newId(),
        type,
        occurredAt: now,
        appId: connector.appId,
        connectorId: connector.id,
        data: { syncId: "s1" },
        ...(streak !== undefined && { consecutiveFailures: streak }),
      });
      const held = event("sync.held");
      assert.equal(await store.transaction((tx) => tx.emitWebhookEvent(held, now)), 1, "all only");
      assert.equal(
        await store.transaction((tx) => tx.emitWebhookEvent(event("sync.errored"), now)),
        1,
      );
      assert.equal(
        await store.transaction((tx) => tx.emitWebhookEvent(event("connector.failing", 2), now)),
        1,
        "the threshold-2 subscription only",
      );
      assert.equal(
        await store.transaction((tx) => tx.emitWebhookEvent(event("connector.failing", 3), now)),
        1,
        "the threshold-3 subscription only",
      );
      assert.equal(await store.nextDeliveryAt(), now);
      // The same event twice writes its deliveries once.
      assert.equal(await store.transaction((tx) => tx.emitWebhookEvent(held, now)), 0);

      const [delivery] = (
        await store.listDeliveries(all.id, [], { pageSize: 10, after: null })
      ).items.filter((d) => d.eventId === held.id);
      assert.equal(delivery?.state, "PENDING");
      assert.deepEqual(JSON.parse(delivery?.payload ?? "{}"), {
        id: held.id,
        type: "sync.held",
        occurredAt: new Date(now).toISOString(),
        data: { appId: connector.appId, connectorId: connector.id, syncId: "s1" },
      });

      // Claims: due ones only, each once, counting an attempt.
      const claimed = await store.transaction((tx) =>
        tx.claimDeliveries("w1", now, now + 30_000, 10),
      );
      assert.equal(claimed.length, 4);
      assert.equal(
        await store
          .transaction((tx) => tx.claimDeliveries("w2", now + 1, now + 30_000, 10))
          .then((c) => c.length),
        0,
      );
      const mine = claimed.find((c) => c.delivery.eventId === held.id);
      assert.equal(mine?.url, all.url);
      assert.equal(mine?.secret, all.secret);
      assert.equal(mine?.delivery.attempts, 1);
      // Another worker's settle does nothing; ours records a retry.
      const retry = {
        state: "PENDING" as const,
        nextAttemptAt: now + 10_000,
        status: 500,
        error: "HTTP 500",
        at: now,
      };
      assert.equal(
        await store.transaction((tx) => tx.finishDelivery(mine?.delivery.id ?? "", "w2", 1, retry)),
        false,
      );
      assert.equal(
        await store.transaction((tx) => tx.finishDelivery(mine?.delivery.id ?? "", "w1", 1, retry)),
        true,
      );
      // Due again after the backoff; a lease that ran out is claimed again too.
      const again = await store.transaction((tx) =>
        tx.claimDeliveries("w2", now + 30_001, now + 60_000, 10),
      );
      assert.equal(again.length, 4);
      const second = again.find((c) => c.delivery.eventId === held.id);
      assert.equal(second?.delivery.attempts, 2);
      assert.equal(
        await store.transaction((tx) =>
          tx.finishDelivery(second?.delivery.id ?? "", "w2", 2, {
            state: "DELIVERED",
            nextAttemptAt: null,
            status: 204,
            error: "",
            at: now + 30_002,
          }),
        ),
        true,
      );
      const delivered = await store.listDeliveries(all.id, ["DELIVERED"], {
        pageSize: 10,
        after: null,
      });
      assert.deepEqual(
        delivered.items.map((d) => [d.state, d.attempts, d.lastStatus, d.finishedAt]),
        [["DELIVERED", 2, 204, now + 30_002]],
      );

      // Deleting a subscription fails its pending deliveries and stops new ones.
      assert.equal(await store.transaction((tx) => tx.deleteWebhook(erroredOnly.id, now)), true);
      assert.equal(await store.transaction((tx) => tx.deleteWebhook(erroredOnly.id, now)), false);
      assert.equal(await store.getWebhook(erroredOnly.id), null);
      assert.deepEqual(
        (await store.listDeliveries(erroredOnly.id, [], { pageSize: 10, after: null })).items.map(
          (d) => [d.state, d.lastError],
        ),
        [["FAILED", "the webhook was deleted"]],
      );
      assert.equal(
        await store.transaction((tx) => tx.emitWebhookEvent(event("sync.errored"), now)),
        0,
      );
      const listed = (await store.listWebhooks({ pageSize: 100, after: null })).items.map(
        (w) => w.id,
      );
      assert.ok(listed.includes(all.id) && !listed.includes(erroredOnly.id));

      // Deliveries page newest first.
      for (let i = 0; i < 3; i++) {
        await store.transaction((tx) =>
          tx.queueDelivery(all.id, { ...event("sync.held"), id: `test-${i}` }, now + 100 + i),
        );
      }
      const first = await store.listDeliveries(all.id, [], { pageSize: 2, after: null });
      assert.deepEqual(
        first.items.map((d) => d.eventId),
        ["test-2", "test-1"],
      );
      const rest = await store.listDeliveries(all.id, [], { pageSize: 10, after: first.nextKey });
      // Then test-0, then the two events of `now` (held, and the failing streak of 3).
      assert.equal(rest.items[0]?.eventId, "test-0");
      assert.equal(rest.items.length, 3);
      assert.ok(rest.items.some((d) => d.eventId === held.id));
    });

    it("finds service-mode connectors that stopped polling, and reports each once until it calls in", async () => {
      const connector = await seedConnector();
      await store.transaction((tx) => tx.touchPresence(connector.id, "host-1", now, 5_000));
      const grace = 30_000;
      const silent = async (at: number) =>
        (await store.silentConnectors(at, grace, 100)).filter(
          (s) => s.connectorId === connector.id,
        );
      assert.deepEqual(await silent(now + 45_000), [], "within 3 polls and the grace");
      const [found] = await silent(now + 45_001);
      assert.deepEqual(found, {
        connectorId: connector.id,
        appId: connector.appId,
        hostId: "host-1",
        lastSeenAt: now,
      });
      assert.equal(
        await store.transaction((tx) => tx.markStoppedPolling(connector.id, now, now + 45_001)),
        true,
      );
      assert.equal(
        await store.transaction((tx) => tx.markStoppedPolling(connector.id, now, now + 45_002)),
        false,
      );
      assert.deepEqual(await silent(now + 60_000), [], "reported once");
      await store.transaction((tx) =>
        tx.touchPresence(connector.id, "host-1", now + 70_000, 5_000),
      );
      assert.deepEqual(await silent(now + 80_000), [], "it called in again");
      assert.equal((await silent(now + 200_000)).length, 1, "and can be reported again");
    });

    it("finds one inventory row by id", async () => {
      const connector = await seedConnector();
      const syncId = newId();
      await store.transaction(async (tx) => {
        await tx.insertSync({
          id: syncId,
          connectorId: connector.id,
          appId: connector.appId,
          trigger: "FORCE",
          queuedAt: now,
          requestedBy: "t",
        });
        await tx.insertInventory(syncId, {
          resourceTypes: [{ id: "user", displayName: "U", traits: [], skipDataDropCheck: false }],
          resources: [
            { resourceTypeId: "user", resourceId: "u:1", displayName: "A", parent: null },
          ],
          entitlements: [
            {
              id: "group:g:member",
              resourceTypeId: "group",
              resourceId: "g",
              slug: "member",
              displayName: "M",
            },
          ],
          grants: [
            {
              id: "group:g:member:user:u:1",
              entitlementId: "group:g:member",
              principal: { resourceTypeId: "user", resourceId: "u:1" },
            },
          ],
        });
      });
      assert.equal(
        (await store.getInventoryResource(syncId, { resourceTypeId: "user", resourceId: "u:1" }))
          ?.displayName,
        "A",
      );
      assert.equal(
        await store.getInventoryResource(syncId, { resourceTypeId: "group", resourceId: "u:1" }),
        null,
      );
      assert.equal((await store.getInventoryEntitlement(syncId, "group:g:member"))?.slug, "member");
      assert.equal(await store.getInventoryEntitlement("other", "group:g:member"), null);
      assert.deepEqual(
        (await store.getInventoryGrant(syncId, "group:g:member:user:u:1"))?.principal,
        {
          resourceTypeId: "user",
          resourceId: "u:1",
        },
      );
      assert.equal(await store.getInventoryGrant(syncId, "nope"), null);
    });
  });
}
