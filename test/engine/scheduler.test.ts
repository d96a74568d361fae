// The scheduler with a fake clock and a real SQLite store: DST, catch-up, holds, coalescing and
// racing schedulers; and on a real PostgreSQL, batches decided in parallel.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createApp } from "../../src/commands/apps.js";
import type { Runtime } from "../../src/commands/context.js";
import { createConnector } from "../../src/commands/connectors.js";
import { pauseSync } from "../../src/commands/pause-sync.js";
import { updateConnectorSchedule } from "../../src/commands/update-schedule.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import { newId } from "../../src/runtime.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { connectorRecord } from "../helpers/fixtures.js";
import { freshDatabaseUrl } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";
import { PROCESS_LIMIT_MS } from "../helpers/wait.js";

const actor = { name: "test", requestId: "" };
let store: SqliteStore;
let t = 0;
let runtime: Runtime;
let scheduler: Scheduler;
let appId: string;

// Each test gets its own store, so that only its own schedules are due.
beforeEach(async () => {
  store = SqliteStore.open(join(tempDir("syncplane-scheduler-"), "syncplane.db"));
  runtime = { store, clock: { now: () => t } };
  scheduler = new Scheduler(runtime);
  t = Date.parse("2026-01-01T00:00:00Z");
  appId = (await createApp(runtime, actor, { displayName: "scheduled" })).id;
});
afterEach(async () => {
  await store.close();
});

const omitLags = ({ fired, enqueued }: { fired: number; enqueued: number }) => ({
  fired,
  enqueued,
});

/** A connector with this schedule, set at `from`; its INITIAL sync is taken out of the queue. */
async function scheduled(cronSpec: string, timezone: string, from: string): Promise<string> {
  t = Date.parse(from);
  const connector = await createConnector(runtime, actor, {
    appId,
    catalogId: "file",
    config: {
      "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
      path: "/tmp/x.json",
    },
  });
  await updateConnectorSchedule(runtime, actor, {
    appId,
    connectorId: connector.id,
    cron: { cronSpec, timezone },
  });
  await store.transaction((tx) => tx.cancelQueuedSyncs(connector.id, "test", t));
  return connector.id;
}

/**
 * Walks the fake clock from fire to fire until `until`, ticking at each; a worker stand-in takes
 * each queued sync out of the queue. Returns the instants at which a sync was queued.
 */
async function fires(connectorId: string, until: string): Promise<string[]> {
  const end = Date.parse(until);
  const seen: string[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    const next = (await store.getSchedule(connectorId))?.nextFireAt;
    if (next === null || next === undefined || next > end) break;
    t = next;
    const { enqueued } = await scheduler.tick();
    const queued = await store.transaction((tx) =>
      tx.cancelQueuedSyncs(connectorId, "taken by the test worker", t),
    );
    assert.equal(queued.length, enqueued);
    for (let i = 0; i < queued.length; i++) seen.push(new Date(t).toISOString());
  }
  return seen;
}

/** `count` connectors with a schedule due at `due`, in a new app; returns their ids. */
async function seedDue(into: Store, count: number, due: number): Promise<string[]> {
  const ids: string[] = [];
  await into.transaction(async (tx) => {
    const app = newId();
    await tx.insertApp({
      id: app,
      displayName: "due",
      description: "",
      attributes: {},
      createdAt: due,
      updatedAt: due,
    });
    for (let i = 0; i < count; i++) {
      const connector = connectorRecord(app, due, { displayName: `c${i}` });
      ids.push(connector.id);
      await tx.insertConnector(connector);
      await tx.upsertSchedule({
        connectorId: connector.id,
        cronSpec: "0 12 * * *",
        timezone: "UTC",
        startAt: due - 1000,
        nextFireAt: due,
        updatedAt: due,
      });
    }
  });
  return ids;
}

describe("scheduler and DST", () => {
  it("America/New_York: a fixed time in the spring-forward gap fires once, after the gap", async () => {
    const id = await scheduled("30 2 * * *", "America/New_York", "2026-03-06T12:00:00Z");
    assert.deepEqual(await fires(id, "2026-03-09T12:00:00Z"), [
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
    ]);
  });

  it("America/New_York: a fixed time in the fall-back overlap fires once, at the first occurrence", async () => {
    const id = await scheduled("30 1 * * *", "America/New_York", "2026-10-30T12:00:00Z");
    assert.deepEqual(await fires(id, "2026-11-02T12:00:00Z"), [
      "2026-10-31T05:30:00.000Z",
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
    ]);
  });

  it("America/New_York: an hourly schedule keeps its spacing through the spring-forward gap", async () => {
    const spring = await scheduled("0 * * * *", "America/New_York", "2026-03-08T05:30:00Z");
    assert.deepEqual(await fires(spring, "2026-03-08T08:00:00Z"), [
      "2026-03-08T06:00:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-08T08:00:00.000Z",
    ]);
  });

  it("America/New_York: an hourly schedule fires on both 01:00s of the fall-back night", async () => {
    const fall = await scheduled("0 * * * *", "America/New_York", "2026-11-01T04:30:00Z");
    assert.deepEqual(await fires(fall, "2026-11-01T07:00:00Z"), [
      "2026-11-01T05:00:00.000Z",
      "2026-11-01T06:00:00.000Z",
      "2026-11-01T07:00:00.000Z",
    ]);
  });

  it("Australia/Lord_Howe: the 30-minute gap and overlap", async () => {
    const gap = await scheduled("0 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z");
    assert.deepEqual(await fires(gap, "2026-10-04T16:00:00Z"), [
      "2026-10-02T15:30:00.000Z",
      "2026-10-03T15:30:00.000Z",
      "2026-10-04T15:00:00.000Z",
    ]);
    const overlap = await scheduled("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z");
    assert.deepEqual(await fires(overlap, "2026-04-05T16:00:00Z"), [
      "2026-04-04T14:45:00.000Z",
      "2026-04-05T15:15:00.000Z",
    ]);
  });
});

describe("scheduler rules", () => {
  it("fires once to catch up after a 3-hour outage, then continues from now", async () => {
    const id = await scheduled("0 * * * *", "UTC", "2026-05-01T09:30:00Z");
    t = Date.parse("2026-05-01T13:20:00Z"); // fires at 10:00, 11:00, 12:00 and 13:00 were missed
    assert.deepEqual(omitLags(await scheduler.tick()), { fired: 1, enqueued: 1 });
    assert.equal(
      (await store.listSyncs(id, { pageSize: 10, after: null })).items.filter(
        (s) => s.state === "QUEUED",
      ).length,
      1,
    );
    assert.equal((await store.getSchedule(id))?.nextFireAt, Date.parse("2026-05-01T14:00:00Z"));
    assert.deepEqual(omitLags(await scheduler.tick()), { fired: 0, enqueued: 0 });
  });

  it("advances a held connector's schedule without queueing", async () => {
    const id = await scheduled("*/5 * * * *", "UTC", "2026-05-02T00:01:00Z");
    await pauseSync(runtime, actor, { appId, connectorId: id });
    t = Date.parse("2026-05-02T00:05:00Z");
    assert.deepEqual(omitLags(await scheduler.tick()), { fired: 1, enqueued: 0 });
    assert.equal((await store.getSchedule(id))?.nextFireAt, Date.parse("2026-05-02T00:10:00Z"));
  });

  it("coalesces with a sync already queued", async () => {
    const id = await scheduled("*/5 * * * *", "UTC", "2026-05-03T00:01:00Z");
    await store.transaction((tx) =>
      tx.insertSync({
        id: newId(),
        connectorId: id,
        appId,
        trigger: "FORCE",
        queuedAt: t,
        requestedBy: "test",
      }),
    );
    t = Date.parse("2026-05-03T00:05:00Z");
    assert.deepEqual(omitLags(await scheduler.tick()), { fired: 1, enqueued: 0 });
  });
});

describe("racing schedulers", () => {
  it("1,000 connectors due at the same second are each queued exactly once by two schedulers", async () => {
    const dir = tempDir("syncplane-race-");
    const path = join(dir, "syncplane.db");
    const raceStore = SqliteStore.open(path);
    const due = Date.parse("2026-06-01T12:00:00Z");
    const ids = await seedDue(raceStore, 1000, due);
    await raceStore.close();

    const helper = join(import.meta.dirname, "fire-due.ts");
    const run = () =>
      new Promise<{ fired: number; enqueued: number }>((resolve, reject) => {
        execFile(
          process.execPath,
          ["--import", import.meta.resolve("tsx"), helper, path, String(due + 500)],
          { timeout: PROCESS_LIMIT_MS },
          (error, stdout) =>
            error
              ? reject(error)
              : resolve(JSON.parse(stdout) as { fired: number; enqueued: number }),
        );
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.fired + b.fired, 1000, `fired ${a.fired} + ${b.fired}`);
    assert.equal(a.enqueued + b.enqueued, 1000);

    const check = SqliteStore.open(path);
    try {
      for (const id of ids) {
        const syncs = (await check.listSyncs(id, { pageSize: 10, after: null })).items;
        assert.equal(syncs.length, 1, `connector ${id} has ${syncs.length} syncs`);
        assert.equal(syncs[0]?.trigger, "SCHEDULE");
        assert.equal((await check.getSchedule(id))?.nextFireAt, Date.parse("2026-06-02T12:00:00Z"));
      }
    } finally {
      await check.close();
    }
  });
});

describe("parallel batches on PostgreSQL", () => {
  it("two schedulers deciding three batches at once each queue every due schedule exactly once", async () => {
    const url = await freshDatabaseUrl();
    const stores = [await PostgresStore.open(url), await PostgresStore.open(url)];
    const [first] = stores as [PostgresStore, PostgresStore];
    const due = Date.parse("2026-06-01T12:00:00Z");
    try {
      const ids = await seedDue(first, 300, due);
      const schedulers = stores.map(
        (store) =>
          new Scheduler(
            { store, clock: { now: () => due + 500 } },
            { batchSize: 16, parallelBatches: 3 },
          ),
      );
      const results = await Promise.all(schedulers.map((one) => one.tick()));
      assert.equal(
        results.reduce((sum, r) => sum + r.fired, 0),
        300,
      );
      assert.equal(
        results.reduce((sum, r) => sum + r.enqueued, 0),
        300,
      );
      assert.equal(
        results.reduce((sum, r) => sum + r.lagsMs.length, 0),
        300,
      );
      assert.deepEqual(omitLags(await (schedulers[0] as Scheduler).tick()), {
        fired: 0,
        enqueued: 0,
      });
      for (const id of ids) {
        const syncs = (await first.listSyncs(id, { pageSize: 10, after: null })).items;
        assert.equal(syncs.length, 1, `connector ${id} has ${syncs.length} syncs`);
        assert.equal((await first.getSchedule(id))?.nextFireAt, Date.parse("2026-06-02T12:00:00Z"));
      }
    } finally {
      await Promise.all(stores.map((one) => one.close()));
    }
  });
});

describe("scheduler loop", () => {
  it("ticks when started and stops cleanly", async () => {
    const id = await scheduled("0 * * * *", "UTC", "2026-07-01T10:30:00Z");
    t = Date.parse("2026-07-01T11:00:05Z");
    const errors: unknown[] = [];
    const loop = new Scheduler(runtime, { maxSleepMs: 20, onError: (error) => errors.push(error) });
    loop.start();
    for (
      let i = 0;
      i < 100 && (await store.getSchedule(id))?.nextFireAt !== Date.parse("2026-07-01T12:00:00Z");
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await loop.stop();
    assert.equal((await store.getSchedule(id))?.nextFireAt, Date.parse("2026-07-01T12:00:00Z"));
    assert.equal(
      (await store.listSyncs(id, { pageSize: 10, after: null })).items.filter(
        (s) => s.trigger === "SCHEDULE",
      ).length,
      1,
    );
    assert.deepEqual(errors, []);
  });
});

describe("fire lag", () => {
  it("reports how late each fire was handled", async () => {
    await scheduled("0 * * * *", "UTC", "2026-09-01T09:10:00Z");
    t = Date.parse("2026-09-01T10:00:02Z");
    const { lagsMs } = await scheduler.tick();
    assert.deepEqual(lagsMs, [2000]);
  });
});
