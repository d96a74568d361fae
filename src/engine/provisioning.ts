// Taking provisioning tasks off the queue, recording their outcome, and failing the ones whose
// runner vanished. The rules are domain/provisioning.ts's: one task per connector at a time in
// creation order; never while paused; a task that lost its runner is FAILED (outcome unknown),
// never run again; a success queues one PROVISION sync (coalesced; none while paused).

import { emitEvent } from "../commands/events.js";
import { audit, type Actor, type Runtime } from "../commands/context.js";
import { enqueueSync } from "../commands/enqueue.js";
import { hasHold } from "../domain/holds.js";
import type { ConnectorRecord } from "../domain/model.js";
import { taskOutcomeUnknown, type ProvisioningTaskRecord } from "../domain/provisioning.js";
import type { StoreTx, TaskFinish } from "../store/store.js";
import { byConnector, claimScope } from "./queue.js";

/** The engine acting on its own: outcomes are recorded under this name. */
const SYSTEM: Actor = { name: "system", requestId: "" };

export interface ClaimedTask {
  readonly task: ProvisioningTaskRecord;
  readonly connector: ConnectorRecord;
  readonly leaseUntil: number;
}

/**
 * Claims the oldest runnable task for `owner` under a lease: any local connector's (a worker), or
 * with `connectorId` that connector's own (its service-mode process, through GetTask).
 */
export async function claimNextTask(
  runtime: Runtime,
  owner: string,
  leaseMs: number,
  connectorId?: string,
): Promise<ClaimedTask | null> {
  // A connector's process polls often and mostly finds nothing: look before taking the writer.
  if (connectorId !== undefined && !(await runtime.store.nextRunnableTask(connectorId)))
    return null;
  const now = runtime.clock.now();
  const leaseUntil = now + leaseMs;
  const claimed = await runtime.store.claimTask({
    owner,
    now,
    leaseUntil,
    ...claimScope(connectorId),
  });
  return claimed ? { ...claimed, leaseUntil } : null;
}

/** Extends a claimed task's lease; false when `owner` no longer holds it. */
export function renewTaskLease(
  runtime: Runtime,
  task: Pick<ProvisioningTaskRecord, "id">,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const now = runtime.clock.now();
  return runtime.store.transaction((tx) => tx.renewTaskLease(task.id, owner, now + leaseMs, now));
}

export type TaskEnd =
  | { readonly state: "SUCCEEDED"; readonly result: string; readonly syncId: string | null }
  | { readonly state: "FAILED"; readonly error: string }
  /** The worker no longer held the task (its lease was taken back): nothing recorded. */
  | { readonly state: "LOST" };

/** Records a task's outcome, if this worker still holds it. */
export async function recordTaskOutcome(
  runtime: Runtime,
  claimed: ClaimedTask,
  worker: string,
  finish: Omit<TaskFinish, "finishedAt">,
): Promise<TaskEnd> {
  return runtime.store.transaction(async (tx): Promise<TaskEnd> => {
    const now = runtime.clock.now();
    // Lock order: the connector, then its task (store.ts, "Concurrency").
    await tx.lockConnector(claimed.connector.appId, claimed.connector.id);
    if (!(await tx.finishProvisioningTask(claimed.task.id, { ...finish, finishedAt: now }, worker)))
      return { state: "LOST" };
    const syncId = await afterTask(tx, runtime, claimed.task, finish, now);
    return finish.state === "SUCCEEDED"
      ? { state: "SUCCEEDED", result: finish.result ?? "", syncId }
      : { state: "FAILED", error: finish.error ?? "" };
  });
}

/**
 * Inside the transaction that ended a task: its audit event and, after a success, one PROVISION
 * sync (coalesced; none while paused or for a deleted connector). Returns the sync's id if one
 * was queued.
 */
export async function afterTask(
  tx: StoreTx,
  runtime: Runtime,
  task: ProvisioningTaskRecord,
  finish: Omit<TaskFinish, "finishedAt">,
  now: number,
): Promise<string | null> {
  let syncId: string | null = null;
  const connector = await tx.findConnector(task.connectorId);
  if (
    finish.state === "SUCCEEDED" &&
    connector &&
    !hasHold(await tx.listHolds(connector.id), "PAUSED")
  ) {
    syncId = (await enqueueSync(tx, runtime, SYSTEM, connector, "PROVISION", now)).syncId;
  }
  if (finish.state === "FAILED") {
    await emitEvent(tx, runtime, now, {
      type: "task.failed",
      appId: task.appId,
      connectorId: task.connectorId,
      data: {
        taskId: task.id,
        kind: task.kind,
        entitlementId: task.entitlementId,
        principal: task.principal,
        grantId: task.grantId,
        requestedBy: task.requestedBy,
        error: finish.error ?? "",
      },
    });
  }
  await audit(tx, runtime, SYSTEM, now, {
    action: finish.state === "SUCCEEDED" ? "provisioning.succeeded" : "provisioning.failed",
    objectType: "provisioning_task",
    objectId: task.id,
    details: {
      connectorId: task.connectorId,
      kind: task.kind,
      requestedBy: task.requestedBy,
      ...(finish.state === "SUCCEEDED"
        ? { result: finish.result ?? "", syncId }
        : { error: finish.error ?? "" }),
    },
  });
  return syncId;
}

/** Tasks whose runner stopped renewing its lease end FAILED: they are never run twice. */
export async function failLostTasks(runtime: Runtime): Promise<string[]> {
  // Every worker runs this on every poll; nearly always nothing is lost: look before writing.
  if ((await runtime.store.expiredTaskLeases(runtime.clock.now(), 1)).length === 0) return [];
  return runtime.store.transaction(async (tx) => {
    const now = runtime.clock.now();
    const failed: string[] = [];
    for (const lost of byConnector(await tx.expiredTaskLeases(now, 100))) {
      await tx.lockConnector(lost.appId, lost.connectorId);
      // Read again under the lock: its runner may have renewed or finished it meanwhile.
      const task = await tx.getProvisioningTask(lost.connectorId, lost.id);
      if (task?.state !== "RUNNING" || (task.leaseExpiresAt ?? 0) >= now) continue;
      const finish = {
        state: "FAILED" as const,
        error: taskOutcomeUnknown("the runner of this task stopped before the connector answered"),
      };
      if (!(await tx.finishProvisioningTask(task.id, { ...finish, finishedAt: now }))) continue;
      await afterTask(tx, runtime, task, finish, now);
      failed.push(task.id);
    }
    return failed;
  });
}
