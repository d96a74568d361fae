// bench/scheduler: see README.md beside this file.

import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NEVER_SYNCED, type ConnectorRecord } from "../../src/domain/model.js";
import { nextFireAfter } from "../../src/domain/schedule.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import { newId } from "../../src/runtime.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const CONNECTORS = Number(process.env.BENCH_CONNECTORS ?? 100_000);
const DAY = 24 * 3600 * 1000;
// The US spring-forward day: DST handling is on the path.
const START = Date.parse("2026-03-08T00:00:00Z");

const ZONES = [
  "UTC",
  "America/New_York",
  "Europe/Berlin",
  "Asia/Tokyo",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "America/Los_Angeles",
];
function cronFor(i: number): string {
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      return `${i % 60} * * * *`; // hourly at a spread minute (the default)
    case 4:
      return "*/15 * * * *";
    case 5:
      return `${i % 60} ${i % 24} * * *`; // daily
    case 6:
      return `30 ${i % 12} * * mon-fri`;
    case 7:
      return "0 */6 * * *";
    case 8:
      return "@daily";
    default:
      return `${(i * 7) % 60} */2 * * *`;
  }
}

/** Simulated time that also moves with real time while the scheduler works. */
class BenchClock {
  private base = START;
  private realAtBase = performance.now();
  now(): number {
    return this.base + (performance.now() - this.realAtBase);
  }
  jumpTo(at: number): void {
    this.base = Math.max(at, this.now());
    this.realAtBase = performance.now();
  }
}

async function populate(store: SqliteStore, count: number): Promise<void> {
  const app = newId();
  await store.transaction((tx) =>
    tx.insertApp({
      id: app,
      displayName: "bench",
      description: "",
      attributes: {},
      createdAt: START,
      updatedAt: START,
    }),
  );
  for (let offset = 0; offset < count; offset += 5000) {
    await store.transaction(async (tx) => {
      for (let i = offset; i < Math.min(count, offset + 5000); i++) {
        const connector: ConnectorRecord = {
          id: newId(),
          appId: app,
          displayName: `c${i}`,
          description: "",
          catalogId: "file",
          config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path: "/x" },
          configUpdatedAt: START,
          disableCheckBadSync: false,
          syncResourceTypeIds: [],
          userIds: [],
          syncStatus: NEVER_SYNCED,
          appliedSyncId: null,
          dataDropPolicy: null,
          createdAt: START,
          updatedAt: START,
          deletedAt: null,
        };
        const schedule = { cronSpec: cronFor(i), timezone: ZONES[i % ZONES.length] as string };
        await tx.insertConnector(connector);
        await tx.upsertSchedule({
          connectorId: connector.id,
          ...schedule,
          startAt: START,
          nextFireAt: nextFireAfter(schedule, START),
          updatedAt: START,
        });
      }
    });
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function idleTickCost(schedules: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "syncplane-bench-idle-"));
  const store = SqliteStore.open(join(dir, "syncplane.db"));
  try {
    await populate(store, schedules);
    const scheduler = new Scheduler({ store, clock: { now: () => START } });
    for (let i = 0; i < 200; i++) await scheduler.tick();
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) await scheduler.tick();
    return ((performance.now() - t0) / 2000) * 1000;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "syncplane-bench-scheduler-"));
  const path = join(dir, "syncplane.db");
  const store = SqliteStore.open(path);
  const workers = new Database(path); // stands in for workers: takes queued syncs off the queue
  workers.pragma("busy_timeout = 5000");
  const takeQueued = workers.prepare(
    "UPDATE sync_lifecycles SET state = 'SUCCEEDED', finished_at = ? WHERE state = 'QUEUED'",
  );
  try {
    const setupStart = performance.now();
    await populate(store, CONNECTORS);
    console.log(
      `\nscheduler: ${CONNECTORS} connectors, ${ZONES.length} zones, created in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`,
    );

    const clock = new BenchClock();
    const scheduler = new Scheduler({ store, clock });
    const lags: number[] = [];
    const ticks: { due: number; ms: number }[] = [];
    const cpuStart = process.cpuUsage();
    const realStart = performance.now();
    let fired = 0;
    let enqueued = 0;
    for (;;) {
      const next = await store.nextScheduledFire();
      if (next === null || next > START + DAY) break;
      clock.jumpTo(next);
      const t0 = performance.now();
      const result = await scheduler.tick();
      ticks.push({ due: result.fired, ms: performance.now() - t0 });
      lags.push(...result.lagsMs);
      fired += result.fired;
      enqueued += result.enqueued;
      takeQueued.run(clock.now());
    }
    const cpu = process.cpuUsage(cpuStart);
    const realMs = performance.now() - realStart;
    lags.sort((a, b) => a - b);

    console.log(
      `simulated 24 h: ${fired} fires in ${ticks.length} ticks, ${enqueued} syncs queued, ${(realMs / 1000).toFixed(1)} s real`,
    );
    console.log(
      `fire lag: p50 ${pct(lags, 50).toFixed(1)} ms, p99 ${pct(lags, 99).toFixed(1)} ms, max ${(lags.at(-1) ?? 0).toFixed(1)} ms (goal p99 ≤ 1000 ms)`,
    );
    console.log(
      `CPU: ${((cpu.user + cpu.system) / 1000 / 24).toFixed(0)} ms per simulated hour (${((cpu.user + cpu.system) / 1000 / Math.max(1, fired)).toFixed(3)} ms per fire)`,
    );

    console.log("\ntick cost by schedules due:");
    const buckets = [1, 10, 100, 1000, 10_000, Infinity];
    let low = 0;
    for (const high of buckets) {
      const inBucket = ticks.filter((t) => t.due > low && t.due <= high);
      if (inBucket.length > 0) {
        const due = inBucket.reduce((sum, t) => sum + t.due, 0);
        const ms = inBucket.reduce((sum, t) => sum + t.ms, 0);
        console.log(
          `  ${String(low + 1).padStart(6)}–${high === Infinity ? "∞" : String(high).padEnd(6)} due: ${String(inBucket.length).padStart(5)} ticks, ${(ms / inBucket.length).toFixed(2).padStart(8)} ms per tick, ${((ms / due) * 1000).toFixed(1).padStart(6)} µs per due schedule`,
        );
      }
      low = high;
    }
    const small = await idleTickCost(1000);
    const large = await idleTickCost(CONNECTORS);
    console.log(
      `\ntick with nothing due: ${small.toFixed(1)} µs with 1,000 schedules, ${large.toFixed(1)} µs with ${CONNECTORS} (ratio ${(large / small).toFixed(2)})`,
    );
  } finally {
    workers.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
