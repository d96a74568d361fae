// bench/scheduler: see README.md beside this file.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { NEVER_SYNCED, type ConnectorRecord } from "../../src/domain/model.js";
import { nextFireAfter } from "../../src/domain/schedule.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import { newId } from "../../src/runtime.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { openConnection } from "../../src/store/sqlite/db.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { atExit } from "../lib/cleanup.js";
import {
  backendOptions,
  startPostgres,
  type Backend,
  type BenchPostgres,
} from "../lib/postgres.js";
import { percentile } from "../lib/stats.js";

/** The stores to run on, and an existing PostgreSQL (a fresh database is made there) if given. */
const { databaseUrl: DATABASE_URL, backends: BACKENDS } = backendOptions();

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
    // Whole milliseconds, as the system clock (Date.now) gives: the stores keep integer times.
    return Math.floor(this.base + (performance.now() - this.realAtBase));
  }
  jumpTo(at: number): void {
    this.base = Math.max(at, this.now());
    this.realAtBase = performance.now();
  }
}

/**
 * A fresh store of one backend, with a second connection of its own beside it — what a worker
 * process would have — for the workers' stand-in and the floor.
 */
interface BenchStore {
  readonly store: Store;
  /** The workers' stand-in: every queued sync is taken and finished (one UPDATE). */
  takeQueued(at: number): Promise<void>;
  /**
   * The floor: one transaction, one INSERT queuing a sync for each connector given. Returns
   * how long it took (ms, from making the ids to the end of COMMIT) and the syncs' ids.
   */
  insertQueued(
    appId: string,
    connectorIds: readonly string[],
    at: number,
  ): Promise<{ ms: number; ids: string[] }>;
  deleteSyncs(ids: readonly string[]): Promise<void>;
  connectorIds(): Promise<string[]>;
  close(): Promise<void>;
}

const TAKE_QUEUED =
  "UPDATE sync_lifecycles SET state = 'SUCCEEDED', finished_at = $1 WHERE state = 'QUEUED'";
const QUEUE_COLUMNS = `sync_lifecycles (id, connector_id, app_id, trigger, state, attempt,
  queued_at, run_after, requested_by, updated_at)`;
const syncIds = (count: number, at: number) => {
  const clock = { now: () => at };
  return Array.from({ length: count }, () => newId(clock));
};

function openSqlite(): BenchStore {
  const dir = mkdtempSync(join(tmpdir(), "syncplane-bench-scheduler-"));
  const removeDir = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "syncplane.db");
  const store = SqliteStore.open(path);
  // With the store's connection settings (no fsync per commit, checkpoints on the store's
  // thread, its page cache, foreign keys checked), as a worker's connection would be.
  const raw = openConnection(path, false);
  const take = raw.prepare(TAKE_QUEUED.replace("$1", "?"));
  const insert = raw.prepare(
    `INSERT INTO ${QUEUE_COLUMNS}
     SELECT value ->> '$[0]', value ->> '$[1]', ?, 'SCHEDULE', 'QUEUED', 0, ?, ?, 'bench-floor', ?
     FROM json_each(?)`,
  );
  const remove = raw.prepare(
    "DELETE FROM sync_lifecycles WHERE id IN (SELECT value FROM json_each(?))",
  );
  const insertAll = raw.transaction((appId: string, at: number, rows: string) =>
    insert.run(appId, at, at, at, rows),
  );
  return {
    store,
    takeQueued: async (at) => void take.run(at),
    async insertQueued(appId, connectorIds, at) {
      const t0 = performance.now();
      const ids = syncIds(connectorIds.length, at);
      insertAll.immediate(appId, at, JSON.stringify(connectorIds.map((c, i) => [ids[i], c])));
      return { ms: performance.now() - t0, ids };
    },
    deleteSyncs: async (ids) => void remove.run(JSON.stringify(ids)),
    connectorIds: async () =>
      raw
        .prepare("SELECT id FROM connectors ORDER BY id")
        .pluck()
        .all()
        .map((id) => String(id)),
    async close() {
      raw.close();
      await store.close();
      removeDir();
    },
  };
}

async function openPostgres(server: BenchPostgres): Promise<BenchStore> {
  const url = await server.createDatabase();
  const store = await PostgresStore.open(url);
  const raw = new pg.Client({ connectionString: url, application_name: "bench-workers" });
  raw.on("error", () => undefined);
  await raw.connect();
  const insert = `INSERT INTO ${QUEUE_COLUMNS}
    SELECT f.id, f.connector_id, $1, 'SCHEDULE', 'QUEUED', 0, $2, $2, 'bench-floor', $2
    FROM unnest($3::text[], $4::text[]) AS f (id, connector_id)`;
  return {
    store,
    takeQueued: async (at) => void (await raw.query(TAKE_QUEUED, [at])),
    async insertQueued(appId, connectorIds, at) {
      const t0 = performance.now();
      const ids = syncIds(connectorIds.length, at);
      await raw.query("BEGIN");
      await raw.query(insert, [appId, at, ids, connectorIds]);
      await raw.query("COMMIT");
      return { ms: performance.now() - t0, ids };
    },
    deleteSyncs: async (ids) =>
      void (await raw.query("DELETE FROM sync_lifecycles WHERE id = ANY($1::text[])", [ids])),
    connectorIds: async () =>
      (await raw.query<{ id: string }>("SELECT id FROM connectors ORDER BY id")).rows.map(
        (row) => row.id,
      ),
    async close() {
      await raw.end().catch(() => undefined);
      await store.close();
      await server.dropDatabase(url);
    },
  };
}

async function openStore(backend: Backend, server: BenchPostgres | null): Promise<BenchStore> {
  const bench = backend === "sqlite" ? openSqlite() : await openPostgres(server as BenchPostgres);
  let closing: Promise<void> | null = null;
  return { ...bench, close: () => (closing ??= bench.close()) };
}

/** Creates one app and `count` connectors with schedules; returns the app's id. */
async function populate(store: Store, count: number): Promise<string> {
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
          previousAppliedSyncId: null,
          dataDropPolicy: null,
          labels: {},
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
  return app;
}

/** The nearest-rank percentile of values given with weights (value v counted w times). */
function weightedPercentile(pairs: { value: number; weight: number }[], p: number): number {
  const sorted = [...pairs].sort((a, b) => a.value - b.value);
  const total = sorted.reduce((sum, pair) => sum + pair.weight, 0);
  const rank = Math.min(total - 1, Math.floor((p / 100) * total));
  let seen = 0;
  for (const pair of sorted) {
    seen += pair.weight;
    if (seen > rank) return pair.value;
  }
  return NaN;
}

/** Floor time (ms) for `n` rows, interpolated between the sizes measured. */
function floorFor(measured: Map<number, number>, n: number): number {
  const points = [...measured].sort((a, b) => a[0] - b[0]);
  const first = points[0] as [number, number];
  if (n <= first[0]) return first[1];
  for (let i = 1; i < points.length; i++) {
    const [n1, ms1] = points[i] as [number, number];
    const [n0, ms0] = points[i - 1] as [number, number];
    if (n <= n1) return ms0 + ((ms1 - ms0) * (n - n0)) / (n1 - n0);
  }
  return (points.at(-1) as [number, number])[1];
}

/** Tick sizes the floor is measured at (the largest ticks hold ~16% of the connectors). */
const FLOOR_SIZES = [
  ...[1, 10, 100, 1000, 3000, 10_000, 30_000].filter((n) => n < CONNECTORS / 4),
  Math.max(1, Math.round(CONNECTORS / 4)),
];

/**
 * The floor at each size: the median of a few timed one-statement inserts of that many queue
 * rows (deleted again after each, untimed).
 */
async function measureFloor(
  bench: BenchStore,
  appId: string,
  connectorIds: readonly string[],
  at: number,
): Promise<Map<number, number>> {
  const floor = new Map<number, number>();
  for (const size of FLOOR_SIZES) {
    const some = connectorIds.slice(0, size);
    const reps = Math.min(15, Math.max(3, Math.ceil(30_000 / size)));
    const times: number[] = [];
    for (let i = 0; i <= reps; i++) {
      const { ms, ids } = await bench.insertQueued(appId, some, at);
      if (i > 0) times.push(ms); // the first is a warm-up
      await bench.deleteSyncs(ids);
    }
    floor.set(
      size,
      percentile(
        times.sort((a, b) => a - b),
        50,
      ),
    );
  }
  return floor;
}

async function idleTickCost(
  backend: Backend,
  server: BenchPostgres | null,
  schedules: number,
): Promise<number> {
  const bench = await openStore(backend, server);
  try {
    await populate(bench.store, schedules);
    const scheduler = new Scheduler({ store: bench.store, clock: { now: () => START } });
    for (let i = 0; i < 200; i++) await scheduler.tick();
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) await scheduler.tick();
    return ((performance.now() - t0) / 2000) * 1000;
  } finally {
    await bench.close();
  }
}

interface Result {
  backend: Backend;
  fired: number;
  ticks: number;
  realS: number;
  lag: { p50: number; p99: number; max: number };
  floorLag: { p50: number; p99: number; max: number };
  cpuMsPerFire: { process: number; server: number | null };
  buckets: { label: string; ticks: number; msPerTick: number; usPerDue: number; floor: number }[];
  idle: { small: number; large: number };
}

const BUCKETS = [1, 10, 100, 1000, 10_000, Infinity];
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const ratio = (a: number, b: number) => `${fmt(a / b, 2)}×`;

async function run(backend: Backend, server: BenchPostgres | null): Promise<Result> {
  const bench = await openStore(backend, server);
  try {
    const { store } = bench;
    const setupStart = performance.now();
    const app = await populate(store, CONNECTORS);
    console.log(
      `\nscheduler on ${backend}: ${CONNECTORS} connectors, ${ZONES.length} zones, created in ${fmt((performance.now() - setupStart) / 1000)} s`,
    );

    // The floor is measured on the queue as the day starts (empty) and as it ends (~21 finished
    // syncs per connector); the ticks in between see it grow, so their mean is the reference.
    const connectorIds = await bench.connectorIds();
    const floorBefore = await measureFloor(bench, app, connectorIds, START - 3600_000);

    const clock = new BenchClock();
    const scheduler = new Scheduler({ store, clock });
    const lags: number[] = [];
    const ticks: { due: number; ms: number; at: number }[] = [];
    // On PostgreSQL the database's work happens in its server processes: their CPU is counted too.
    const cluster = backend === "postgres" ? server : null;
    const serverCpuStart = cluster?.serverCpuMs() ?? null;
    const cpuStart = process.cpuUsage();
    const realStart = performance.now();
    let fired = 0;
    let enqueued = 0;
    let reported = realStart;
    for (;;) {
      const next = await store.nextScheduledFire();
      if (next === null || next > START + DAY) break;
      clock.jumpTo(next);
      const t0 = performance.now();
      const result = await scheduler.tick();
      ticks.push({ due: result.fired, ms: performance.now() - t0, at: next });
      for (const lag of result.lagsMs) lags.push(lag);
      fired += result.fired;
      enqueued += result.enqueued;
      await bench.takeQueued(clock.now());
      if (performance.now() - reported > 30_000) {
        reported = performance.now();
        const at = new Date(next).toISOString().slice(11, 16);
        console.error(
          `  … simulated ${at} UTC, ${fired} fires, ${fmt((reported - realStart) / 1000, 0)} s`,
        );
      }
    }
    const cpu = process.cpuUsage(cpuStart);
    const serverCpuEnd = cluster?.serverCpuMs() ?? null;
    const realMs = performance.now() - realStart;
    lags.sort((a, b) => a - b);
    const processCpuMs = (cpu.user + cpu.system) / 1000;
    const serverCpuMs =
      serverCpuStart === null || serverCpuEnd === null ? null : serverCpuEnd - serverCpuStart;
    const lag = { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) ?? 0 };

    const floorAfter = await measureFloor(bench, app, connectorIds, START + DAY + 3600_000);
    const floor = new Map(
      FLOOR_SIZES.map((n) => [n, ((floorBefore.get(n) ?? NaN) + (floorAfter.get(n) ?? NaN)) / 2]),
    );
    const groups: { label: string; inBucket: typeof ticks }[] = [];
    let low = 0;
    for (const high of BUCKETS) {
      const inBucket = ticks.filter((t) => t.due > low && t.due <= high);
      const label = `${String(low + 1).padStart(6)}–${(high === Infinity ? "∞" : String(high)).padEnd(6)}`;
      if (inBucket.length > 0) groups.push({ label, inBucket });
      low = high;
    }
    const meanDue = (group: typeof ticks) =>
      Math.max(1, Math.round(group.reduce((sum, t) => sum + t.due, 0) / group.length));
    const floorPairs = ticks.map((t) => ({ value: floorFor(floor, t.due), weight: t.due }));
    const floorLag = {
      p50: weightedPercentile(floorPairs, 50),
      p99: weightedPercentile(floorPairs, 99),
      max: Math.max(...floorPairs.map((pair) => pair.value)),
    };

    console.log(
      `simulated 24 h: ${fired} fires in ${ticks.length} ticks, ${enqueued} syncs queued, ${fmt(realMs / 1000)} s real`,
    );
    console.log(
      `fire lag: p50 ${fmt(lag.p50)} ms, p99 ${fmt(lag.p99)} ms, max ${fmt(lag.max)} ms (goal p99 ≤ 1000 ms)`,
    );
    console.log(
      `  floor:  p50 ${fmt(floorLag.p50)} ms, p99 ${fmt(floorLag.p99)} ms, max ${fmt(floorLag.max)} ms` +
        ` → lag ${ratio(lag.p50, floorLag.p50)} / ${ratio(lag.p99, floorLag.p99)} / ${ratio(lag.max, floorLag.max)} the floor`,
    );
    const slowest = ticks.reduce((a, b) => (b.ms > a.ms ? b : a));
    console.log(
      `  slowest tick: ${slowest.due} due at ${new Date(slowest.at).toISOString().slice(11, 16)} UTC, ${fmt(slowest.ms, 0)} ms (floor for its size ${fmt(floorFor(floor, slowest.due), 0)} ms)`,
    );
    const perFire = (ms: number) => fmt(ms / Math.max(1, fired), 3);
    console.log(
      backend === "sqlite"
        ? `CPU: ${fmt(processCpuMs / 1000 / 24, 1)} s per simulated hour (${perFire(processCpuMs)} ms per fire)`
        : `CPU: ${fmt((processCpuMs + (serverCpuMs ?? 0)) / 1000 / 24, 1)} s per simulated hour` +
            ` (${perFire(processCpuMs + (serverCpuMs ?? 0))} ms per fire: ${perFire(processCpuMs)} in this process + ` +
            `${serverCpuMs === null ? "server not measured (external)" : `${perFire(serverCpuMs)} in PostgreSQL's processes`})`,
    );

    console.log(
      `\ntick cost by schedules due (× floor: against one transaction inserting the tick's mean count of queue rows):`,
    );
    const buckets: Result["buckets"] = [];
    for (const { label, inBucket } of groups) {
      const due = inBucket.reduce((sum, t) => sum + t.due, 0);
      const ms = inBucket.reduce((sum, t) => sum + t.ms, 0);
      const size = meanDue(inBucket);
      const row = {
        label,
        ticks: inBucket.length,
        msPerTick: ms / inBucket.length,
        usPerDue: (ms / due) * 1000,
        floor: floorFor(floor, size),
      };
      buckets.push(row);
      console.log(
        `  ${label} due: ${String(row.ticks).padStart(5)} ticks, ${fmt(row.msPerTick, 2).padStart(8)} ms per tick, ${fmt(row.usPerDue).padStart(6)} µs per due schedule; floor ${fmt(row.floor, 2).padStart(7)} ms for ${size} rows → ${ratio(row.msPerTick, row.floor).padStart(6)}`,
      );
    }
    console.log(
      `floor, one transaction inserting N queue rows (N → median ms before the day / after it → mean): ${FLOOR_SIZES.map(
        (n) =>
          `${n} → ${fmt(floorBefore.get(n) ?? NaN, 2)} / ${fmt(floorAfter.get(n) ?? NaN, 2)} → ${fmt(floor.get(n) ?? NaN, 2)}`,
      ).join(", ")}`,
    );
    await bench.close();

    const small = await idleTickCost(backend, server, 1000);
    const large = await idleTickCost(backend, server, CONNECTORS);
    console.log(
      `\ntick with nothing due: ${fmt(small)} µs with 1,000 schedules, ${fmt(large)} µs with ${CONNECTORS} (ratio ${fmt(large / small, 2)})`,
    );
    return {
      backend,
      fired,
      ticks: ticks.length,
      realS: realMs / 1000,
      lag,
      floorLag,
      cpuMsPerFire: {
        process: processCpuMs / Math.max(1, fired),
        server: serverCpuMs === null ? null : serverCpuMs / Math.max(1, fired),
      },
      buckets,
      idle: { small, large },
    };
  } finally {
    await bench.close();
  }
}

function summary(results: Result[]): void {
  if (results.length === 0) return;
  const column = (cells: string[]) => cells.map((cell) => cell.padStart(24)).join("");
  const line = (label: string, cell: (r: Result) => string) =>
    console.log(label.padEnd(44) + column(results.map(cell)));
  console.log(`\nsummary (${CONNECTORS} connectors, one simulated day):`);
  line("", (r) => r.backend);
  line("fires / ticks", (r) => `${r.fired} / ${r.ticks}`);
  line(
    "fire lag p50 / p99 / max ms",
    (r) => `${fmt(r.lag.p50, 0)} / ${fmt(r.lag.p99, 0)} / ${fmt(r.lag.max, 0)}`,
  );
  line(
    "  floor p50 / p99 / max ms",
    (r) => `${fmt(r.floorLag.p50, 0)} / ${fmt(r.floorLag.p99, 0)} / ${fmt(r.floorLag.max, 0)}`,
  );
  line("  lag p99 × floor", (r) => ratio(r.lag.p99, r.floorLag.p99));
  line("  goal p99 ≤ 1000 ms", (r) => (r.lag.p99 <= 1000 ? "met" : "not met"));
  line("CPU ms per fire (process + server)", (r) => {
    const { process: own, server } = r.cpuMsPerFire;
    if (r.backend === "sqlite") return fmt(own, 3);
    return server === null
      ? `${fmt(own, 3)} + ?`
      : `${fmt(own + server, 3)} (${fmt(own, 3)} + ${fmt(server, 3)})`;
  });
  for (const label of new Set(results.flatMap((r) => r.buckets.map((b) => b.label)))) {
    line(`tick ms, ${label.trim()} due (× floor)`, (r) => {
      const bucket = r.buckets.find((b) => b.label === label);
      return bucket
        ? `${fmt(bucket.msPerTick, 2)} (${ratio(bucket.msPerTick, bucket.floor)})`
        : "–";
    });
  }
  line("idle tick µs, 1,000 / all schedules", (r) => `${fmt(r.idle.small)} / ${fmt(r.idle.large)}`);
  line("simulated day, real s", (r) => fmt(r.realS));
}

async function main(): Promise<void> {
  let server: BenchPostgres | null = null;
  const results: Result[] = [];
  try {
    for (const backend of BACKENDS) {
      if (backend === "postgres" && server === null) {
        server = await startPostgres(DATABASE_URL);
        console.log(`\nPostgreSQL: ${server.description}`);
      }
      results.push(await run(backend, server));
    }
    summary(results);
  } finally {
    await server?.stop();
  }
}

await main();
