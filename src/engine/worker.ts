// Workers: claim queued syncs and provisioning tasks, run them with their connector's runner,
// record the outcome. Tasks are claimed first (they are short and a person waits for them).
//
// States: idle → running (up to `concurrency` syncs at once) → draining (stop() called: no new
// claims; running syncs finish, or after the grace period are abandoned — their leases run out
// and another worker retries them) → stopped. While a sync runs, its lease is renewed on a
// heartbeat; a renewal that fails means the sync was taken back, and the run is aborted. The loop
// owns no SQL: queue.ts and apply.ts hold the transactions. Events let logs, metrics and tests
// follow along.

import { EventEmitter } from "node:events";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runtime } from "../commands/context.js";
import { runnerFor, syncTimeoutMs } from "../connectors/registry.js";
import { ConnectorError, type ConnectorRunner } from "../connectors/runner.js";
import {
  sweepAbandonedRuns,
  type ConnectorLogLine,
  type RunEnvironment,
} from "../connectors/baton/one-shot.js";
import type { Artifacts, SyncLog } from "../artifacts/artifacts.js";
import type { ConnectorRecord } from "../domain/model.js";
import { isProgressLevel, progressMessage, type SyncPhase } from "../domain/progress.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../domain/retry.js";
import { recordFailure, type SyncEnd } from "./apply.js";
import { discardInventory, ingestSnapshot, settleRun } from "./ingest.js";
import { claimNextSync, recoverLostLeases, renewSyncLease, type ClaimedSync } from "./queue.js";
import {
  claimNextTask,
  failLostTasks,
  recordTaskOutcome,
  renewTaskLease,
  type ClaimedTask,
  type TaskEnd,
} from "./provisioning.js";
import { taskOutcomeUnknown } from "../domain/provisioning.js";

export interface WorkerOptions {
  readonly id?: string;
  readonly concurrency?: number;
  readonly leaseMs?: number;
  readonly heartbeatMs?: number;
  readonly pollMs?: number;
  readonly retryPolicy?: RetryPolicy;
  /** Overrides the per-connector sync timeout (tests). */
  readonly timeoutMs?: number;
  /** How long a grant or revoke may take (default 10 minutes). */
  readonly taskTimeoutMs?: number;
  /** Which runner runs a connector (default: connectors/registry.ts). */
  readonly runnerFor?: (connector: ConnectorRecord, environment: RunEnvironment) => ConnectorRunner;
  /** Where connector subprocesses get their run directories (default: the OS temp dir). */
  readonly workRoot?: string;
  /** Keeps c1z files and sync logs; without it, nothing outlives a run. */
  readonly artifacts?: Artifacts;
  /** Variables connector subprocesses inherit (PATH, HOME). */
  readonly inheritedEnv?: Readonly<Record<string, string>>;
  /** How long a connector may take to exit after SIGINT before SIGKILL. */
  readonly killGraceMs?: number;
}

export interface WorkerEvents {
  claimed: [ClaimedSync];
  finished: [ClaimedSync, SyncEnd];
  taskClaimed: [ClaimedTask];
  taskFinished: [ClaimedTask, TaskEnd];
  connectorLog: [ClaimedSync, ConnectorLogLine];
  /** stop() was called with syncs running: it waits for them up to graceMs. */
  draining: [{ readonly syncIds: readonly string[]; readonly graceMs: number }];
  /** The grace period ran out: these syncs are being signalled to stop (they will be retried). */
  graceExpired: [{ readonly syncIds: readonly string[]; readonly graceMs: number }];
  /** stop() finished: nothing is running any more. */
  stopped: [];
  error: [unknown];
}

export type WorkerState = "idle" | "running" | "draining" | "stopped";

const SHUTDOWN = "the worker shut down before the sync finished; it will be retried";
const TASK_SHUTDOWN = "the worker shut down before the connector answered";
export const DEFAULT_TASK_TIMEOUT_MS = 10 * 60 * 1000;

export class Worker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  private state: WorkerState = "idle";
  /** Running syncs and provisioning tasks, by id. */
  private readonly active = new Map<
    string,
    { controller: AbortController; done: Promise<void>; kind: "sync" | "task" }
  >();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private stopListening: (() => void) | null = null;
  /** A commit made work claimable since the loop last looked (store onWork). */
  private signalled = false;
  /** When (performance.now()) the loop next looks for lost leases. */
  private nextRecoveryAt = 0;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly retryPolicy: RetryPolicy;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: WorkerOptions = {},
  ) {
    super();
    this.id = options.id ?? `worker-${randomBytes(4).toString("hex")}`;
    this.concurrency = options.concurrency ?? 2;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.floor(this.leaseMs / 3);
    this.pollMs = options.pollMs ?? 500;
    this.retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  }

  get currentState(): WorkerState {
    return this.state;
  }

  /** Syncs and tasks running now. */
  get activeCount(): number {
    return this.active.size;
  }

  start(): void {
    if (this.state !== "idle") return;
    this.state = "running";
    if (this.options.workRoot) {
      sweepAbandonedRuns(this.options.workRoot).catch((error: unknown) =>
        this.emit("error", error),
      );
    }
    // A commit that queued or freed work (here, or on another node) wakes the loop at once; the
    // poll below is the fallback.
    this.stopListening = this.runtime.store.onWork(() => {
      this.signalled = true;
      if (this.active.size < this.concurrency) this.wake?.();
    });
    this.loop = this.run();
  }

  /** Stops claiming; waits up to `graceMs` for running syncs, then aborts them. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.state === "idle" || this.state === "stopped") {
      this.state = "stopped";
      return;
    }
    this.state = "draining";
    this.stopListening?.();
    this.wake?.();
    await this.loop;
    const running = [...this.active.values()];
    if (running.length > 0) this.emit("draining", { syncIds: [...this.active.keys()], graceMs });
    const timer = setTimeout(() => {
      this.emit("graceExpired", { syncIds: [...this.active.keys()], graceMs });
      for (const run of this.active.values()) {
        run.controller.abort(new Error(run.kind === "task" ? TASK_SHUTDOWN : SHUTDOWN));
      }
    }, graceMs);
    await Promise.all(running.map((run) => run.done));
    clearTimeout(timer);
    this.state = "stopped";
    this.emit("stopped");
  }

  private async run(): Promise<void> {
    while (this.state === "running") {
      let claimed: ClaimedSync | null = null;
      let task: ClaimedTask | null = null;
      // What the claims below see includes every commit signalled so far.
      this.signalled = false;
      try {
        // Leases run out on the scale of a minute: looking once per poll interval is enough,
        // and keeps claims (which come in bursts when work is signalled) to their own statements.
        if (performance.now() >= this.nextRecoveryAt) {
          this.nextRecoveryAt = performance.now() + this.pollMs;
          await recoverLostLeases(this.runtime, this.retryPolicy.maxAttempts);
          await failLostTasks(this.runtime);
        }
        if (this.active.size < this.concurrency)
          task = await claimNextTask(this.runtime, this.id, this.leaseMs);
        if (!task && this.active.size < this.concurrency)
          claimed = await claimNextSync(this.runtime, this.id, this.leaseMs);
      } catch (error) {
        this.emit("error", error);
      }
      if (task) {
        this.launchTask(task);
        continue;
      }
      if (claimed) {
        this.launch(claimed);
        continue; // look for more work at once
      }
      // Work signalled while the claims ran: look again at once (if there is room for it).
      if (this.signalled && this.active.size < this.concurrency) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private launch(claimed: ClaimedSync): void {
    this.track(claimed.sync.id, "sync", (controller) => this.execute(claimed, controller));
    this.emit("claimed", claimed);
  }

  private launchTask(claimed: ClaimedTask): void {
    this.track(claimed.task.id, "task", (controller) => this.executeTask(claimed, controller));
    this.emit("taskClaimed", claimed);
  }

  /** Runs `work` as an active run until it ends (errors reported, the loop woken). */
  private track(
    id: string,
    kind: "sync" | "task",
    work: (controller: AbortController) => Promise<void>,
  ): void {
    const controller = new AbortController();
    const done = work(controller)
      .catch((error: unknown) => {
        this.emit("error", error);
      })
      .finally(() => {
        this.active.delete(id);
        this.wake?.();
      });
    this.active.set(id, { controller, done, kind });
  }

  /**
   * Runs one grant or revoke. The connector's answer is recorded as it is (a refusal is FAILED with
   * its message); a run stopped before the connector answered (timeout, lost lease, shutdown) is
   * FAILED with "outcome unknown": it may or may not have changed the target system, and is
   * never run again.
   */
  private async executeTask(claimed: ClaimedTask, controller: AbortController): Promise<void> {
    const { task, connector } = claimed;
    const timeoutMs = this.options.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
    const abort = (why: string) => controller.abort(new Error(why));
    const timeout = setTimeout(
      () => abort(`the connector did not answer within ${Math.round(timeoutMs / 1000)} s`),
      timeoutMs,
    );
    const heartbeat = setInterval(() => {
      renewTaskLease(this.runtime, task, this.id, this.leaseMs)
        .then((held) => {
          if (!held) abort("the task was taken back from this worker");
        })
        .catch((error: unknown) => this.emit("error", error));
    }, this.heartbeatMs);
    const { artifacts } = this.options;
    let log: SyncLog | null = null;
    let end: TaskEnd = { state: "LOST" };
    try {
      log =
        (await artifacts?.openTaskLog(connector.id, task.id, (error) =>
          this.emit("error", error),
        )) ?? null;
      log?.write({
        at: Date.now(),
        stream: "syncplane",
        level: "info",
        message: `${task.kind} started`,
      });
      const applied = connector.appliedSyncId;
      const appliedArtifact =
        artifacts && applied && (await artifacts.size(connector.id, applied, "c1z")) !== null
          ? { copyTo: (path: string) => artifacts.copyTo(connector.id, applied, "c1z", path) }
          : null;
      const environment: RunEnvironment = {
        workRoot: this.options.workRoot ?? join(tmpdir(), "syncplane-runs"),
        inheritedEnv: this.options.inheritedEnv ?? {},
        killGraceMs: this.options.killGraceMs,
        log: (line) => log?.write(line),
      };
      const context = { signal: controller.signal, appliedArtifact };
      try {
        const runner = (this.options.runnerFor ?? runnerFor)(connector, environment);
        const principal = task.principal ?? { resourceTypeId: "", resourceId: "" };
        const outcome =
          task.kind === "GRANT"
            ? await runner.grant(task.entitlementId, principal, context)
            : await runner.revoke(
                { id: task.grantId, entitlementId: task.entitlementId, principal },
                context,
              );
        end = await recordTaskOutcome(this.runtime, claimed, this.id, {
          state: "SUCCEEDED",
          result: outcome.result,
        });
      } catch (error) {
        const message = controller.signal.aborted
          ? taskOutcomeUnknown(
              (controller.signal.reason as Error | undefined)?.message ?? "the run was stopped",
            )
          : `the connector refused or failed: ${(error as Error).message ?? String(error)}`;
        end = await recordTaskOutcome(this.runtime, claimed, this.id, {
          state: "FAILED",
          error: message,
        });
      }
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
      log?.write({
        at: Date.now(),
        stream: "syncplane",
        level: end.state === "SUCCEEDED" ? "info" : "warn",
        message:
          end.state === "SUCCEEDED"
            ? `${task.kind} succeeded${end.result ? ` (${end.result})` : ""}`
            : end.state === "FAILED"
              ? `${task.kind} failed: ${end.error}`
              : `${task.kind}: this worker no longer held the task; its outcome was not recorded here`,
      });
      await log?.close();
    }
    await artifacts
      ?.pruneTaskLogs(connector.id)
      .catch((error: unknown) => this.emit("error", error));
    this.emit("taskFinished", claimed, end);
  }

  private async execute(claimed: ClaimedSync, controller: AbortController): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? syncTimeoutMs(claimed.connector);
    let abortReason = "";
    const abort = (why: string) => {
      abortReason ||= why;
      controller.abort(new Error(why));
    };
    controller.signal.addEventListener("abort", () => {
      abortReason ||= String(
        (controller.signal.reason as Error | undefined)?.message ?? "canceled",
      );
    });
    const timeout = setTimeout(
      () => abort(`the sync ran longer than its ${Math.round(timeoutMs / 1000)} s timeout`),
      timeoutMs,
    );
    // Progress rides on the lease renewal; a new phase or connector message is written within
    // PROGRESS_EVERY_MS instead of waiting for the next heartbeat.
    const progress: { phase: SyncPhase; message: string } = {
      phase: "CONNECTOR",
      message: "the connector started",
    };
    let soon: NodeJS.Timeout | undefined;
    const beat = () => {
      clearTimeout(soon);
      soon = undefined;
      renewSyncLease(this.runtime, claimed, this.id, this.leaseMs, progress)
        .then((held) => {
          if (!held) abort("the sync was taken back from this worker");
        })
        .catch((error: unknown) => this.emit("error", error));
    };
    const reportSoon = () => {
      if (soon === undefined && !controller.signal.aborted)
        soon = setTimeout(beat, PROGRESS_EVERY_MS);
    };
    const heartbeat = setInterval(beat, this.heartbeatMs);
    let end: SyncEnd = { state: "LOST" };
    const { artifacts } = this.options;
    let log: SyncLog | null = null;
    let kept = false;
    try {
      log =
        (await artifacts?.openLog(
          claimed.connector.id,
          claimed.sync.id,
          claimed.sync.attempt,
          (error) => this.emit("error", error),
        )) ?? null;
      // A retried sync starts clean: an earlier attempt may have stored part of its data.
      if (claimed.sync.attempt > 1) await discardInventory(this.runtime, claimed.sync.id);
      const environment: RunEnvironment = {
        workRoot: this.options.workRoot ?? join(tmpdir(), "syncplane-runs"),
        inheritedEnv: this.options.inheritedEnv ?? {},
        killGraceMs: this.options.killGraceMs,
        log: (line) => {
          log?.write(line);
          this.emit("connectorLog", claimed, line);
          if (isProgressLevel(line.level) && line.message.trim() !== "") {
            progress.message = progressMessage(line.message);
            reportSoon();
          }
        },
      };
      beat();
      const started = performance.now();
      const snapshot = await (this.options.runnerFor ?? runnerFor)(
        claimed.connector,
        environment,
      ).sync(controller.signal);
      const read = performance.now();
      const { counts } = snapshot;
      const resources = Object.values(counts.resources).reduce((sum, n) => sum + n, 0);
      const note = (message: string) =>
        log?.write({ at: Date.now(), stream: "syncplane", level: "info", message });
      note(
        `connector finished and its data was opened in ${seconds(read - started)}: ${resources} resources, ${counts.entitlements} entitlements, ${counts.grants} grants`,
      );
      progress.phase = "STORING";
      progress.message = `storing and checking ${resources} resources, ${counts.entitlements} entitlements, ${counts.grants} grants`;
      beat();
      ({ end, kept } = await ingestSnapshot(this.runtime, claimed, this.id, snapshot, artifacts));
      note(`stored and checked in ${seconds(performance.now() - read)}`);
    } catch (error) {
      const failure =
        error instanceof ConnectorError
          ? controller.signal.aborted && abortReason
            ? ConnectorError.retryable(abortReason)
            : error
          : ConnectorError.retryable(
              abortReason || `the sync failed: ${(error as Error).message ?? String(error)}`,
            );
      end = await recordFailure(
        this.runtime,
        claimed,
        this.id,
        failure,
        this.retryPolicy,
        Math.random(),
      );
    } finally {
      clearTimeout(timeout);
      clearTimeout(soon);
      clearInterval(heartbeat);
      const outcome =
        end.state === "QUEUED"
          ? `failed and will be retried: ${end.error}`
          : end.state === "ERRORED"
            ? `ended ERRORED: ${end.error}`
            : end.state === "ERRORED_NO_DATA"
              ? `ended ERRORED_NO_DATA: ${end.summary}`
              : `ended ${end.state}`;
      log?.write({
        at: Date.now(),
        stream: "syncplane",
        level: end.state === "SUCCEEDED" ? "info" : "warn",
        message: `attempt ${claimed.sync.attempt} ${outcome}`,
      });
      await log?.close();
    }
    try {
      await settleRun(this.runtime, claimed, end, kept, artifacts);
    } catch (error) {
      this.emit("error", error);
    }
    this.emit("finished", claimed, end);
  }
}

/** How soon a running sync's new phase or message is written (between lease renewals). */
const PROGRESS_EVERY_MS = 2_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
