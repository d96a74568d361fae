// The scheduler: turns due schedules into queued syncs.
//
// Each batch of due schedules is decided in one store transaction, as a set: the next fires are
// computed here (from now, so fires missed during downtime collapse into one catch-up sync), then
// one statement advances every schedule of the batch and one queues a SCHEDULE sync for each
// connector that no hold blocks and that has none queued (store fireSchedules). No
// leader election: any number of schedulers may run, the store hands each due row to one of them.
// Each tick also resumes the connectors whose timed pause has ended (commands/resume-sync.ts)
// and reports service-mode connectors that stopped polling (connector.stopped_polling). A
// freshness target's next fire is when to look again should the fired sync not be applied;
// applying a sync plans the next one properly (commands/freshness.ts).
// The clock is injected; tests drive tick() with a fake one.

import type { Runtime } from "../commands/context.js";
import { resumeTimedPause } from "../commands/resume-sync.js";
import { emitEvent } from "../commands/events.js";
import { PRESENCE_GRACE_MS } from "../domain/model.js";
import { advanceSchedule } from "../domain/schedule.js";
import { newId } from "../runtime.js";

/** Who SCHEDULE syncs are requested by. */
const SCHEDULER = "scheduler";

export interface SchedulerOptions {
  /** Schedules decided per transaction. */
  readonly batchSize?: number;
  /** Longest sleep between checks (a schedule changed elsewhere is noticed within this). */
  readonly maxSleepMs?: number;
  /**
   * Batches decided at once, each in its own transaction, when the store has many writers
   * (PostgreSQL: the batches' claims skip each other's rows, and the database works on them on
   * several cores). Default 2; the single-writer SQLite store always decides one at a time.
   */
  readonly parallelBatches?: number;
  readonly onError?: (error: unknown) => void;
  /** Told of every tick the loop ran, and how long it took (metrics). */
  readonly onTick?: (result: TickResult, durationMs: number) => void;
}

export interface TickResult {
  /** Due schedules handled (each advanced to its next fire). */
  readonly fired: number;
  /** Syncs queued for them. */
  readonly enqueued: number;
  /** For each handled schedule, how late (ms) its batch committed after the fire time. */
  readonly lagsMs: readonly number[];
  /** Connectors whose timed pause ended and that this tick resumed. */
  readonly resumed: number;
  /** Service-mode connectors this tick found silent and reported. */
  readonly stoppedPolling: number;
}

/** Silent service-mode connectors reported per tick. */
const SILENT_BATCH = 100;

/** Timed pauses looked at per round of a tick. */
const TIMED_PAUSE_BATCH = 100;

export class Scheduler {
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly batchSize: number;
  private readonly maxSleepMs: number;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: SchedulerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxSleepMs = options.maxSleepMs ?? 1000;
  }

  /** Handles every schedule due at the clock's now. */
  async tick(): Promise<TickResult> {
    const result = { fired: 0, enqueued: 0, lagsMs: [] as number[] };
    const lanes = this.runtime.store.capabilities.singleWriter
      ? 1
      : Math.max(1, this.options.parallelBatches ?? 2);
    // Each lane takes batches until it finds fewer due schedules than a batch holds. A lane
    // that finds a short batch because another lane holds the rest stops; the other goes on.
    await Promise.all(Array.from({ length: lanes }, () => this.drain(result)));
    const resumed = await this.resumeTimedPauses();
    return { ...result, resumed, stoppedPolling: await this.reportSilentConnectors() };
  }

  /**
   * Service-mode connectors that stopped polling: each reported once (connector.stopped_polling
   * to webhook subscribers), until it calls in again; marked under a conditional update, so two
   * schedulers report it once.
   */
  private async reportSilentConnectors(): Promise<number> {
    const { store } = this.runtime;
    let reported = 0;
    for (const silent of await store.silentConnectors(
      this.runtime.clock.now(),
      PRESENCE_GRACE_MS,
      SILENT_BATCH,
    )) {
      try {
        await store.transaction(async (tx) => {
          const now = this.runtime.clock.now();
          if (!(await tx.markStoppedPolling(silent.connectorId, silent.lastSeenAt, now))) return;
          reported++;
          await emitEvent(tx, this.runtime, now, {
            type: "connector.stopped_polling",
            appId: silent.appId,
            connectorId: silent.connectorId,
            data: { hostId: silent.hostId, lastSeenAt: new Date(silent.lastSeenAt).toISOString() },
          });
        });
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    return reported;
  }

  /**
   * Resumes the connectors whose timed pause has ended (commands/resume-sync.ts): each in its own
   * transaction, checked again under the connector's lock. One that fails is reported and tried
   * again at the next tick; the others go on.
   */
  private async resumeTimedPauses(): Promise<number> {
    let resumed = 0;
    const failed = new Set<string>();
    for (;;) {
      const due = (
        await this.runtime.store.timedPausesDue(this.runtime.clock.now(), TIMED_PAUSE_BATCH)
      ).filter((pause) => !failed.has(pause.connectorId));
      if (due.length === 0) return resumed;
      for (const pause of due) {
        try {
          if (await resumeTimedPause(this.runtime, pause)) resumed++;
          else failed.add(pause.connectorId); // another scheduler's, or no longer due
        } catch (error) {
          failed.add(pause.connectorId);
          this.options.onError?.(error);
        }
      }
    }
  }

  /** Decides batches of due schedules until a batch comes back short. */
  private async drain(result: { fired: number; enqueued: number; lagsMs: number[] }) {
    for (;;) {
      const batch = await this.runtime.store.transaction(async (tx) => {
        const now = this.runtime.clock.now();
        const due = await tx.claimDueSchedules(now, this.batchSize);
        // Schedules due together mostly share their spec and zone: compute each next fire once.
        const next = new Map<string, number | null>();
        const fires = due.map((schedule) => {
          const key = schedule.maxAgeMs
            ? `freshness ${schedule.maxAgeMs} ${schedule.expectedMs ?? ""}`
            : `${schedule.timezone} ${schedule.cronSpec}`;
          if (!next.has(key)) next.set(key, advanceSchedule(schedule, now));
          return {
            connectorId: schedule.connectorId,
            nextFireAt: next.get(key) ?? null,
            syncId: newId(this.runtime.clock),
          };
        });
        // One statement advances them all, one queues the syncs (holds and coalescing inside).
        const queued = await tx.fireSchedules(fires, SCHEDULER, now);
        return {
          count: due.length,
          queued: queued.length,
          fireTimes: due.map((schedule) => schedule.nextFireAt ?? now),
        };
      });
      const committedAt = this.runtime.clock.now();
      for (const fireTime of batch.fireTimes) result.lagsMs.push(committedAt - fireTime);
      result.fired += batch.count;
      result.enqueued += batch.queued;
      if (batch.count < this.batchSize) return;
    }
  }

  /** Runs tick() whenever something is due, until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const began = performance.now();
        const result = await this.tick();
        this.options.onTick?.(result, performance.now() - began);
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!this.running) return;
      const next = await this.runtime.store.nextScheduledFire().catch(() => null);
      const now = this.runtime.clock.now();
      const sleep =
        next === null ? this.maxSleepMs : Math.max(0, Math.min(this.maxSleepMs, next - now));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, sleep);
      });
    }
  }
}
