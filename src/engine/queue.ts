// Taking queued syncs off the queue, and taking them back from workers that stopped.
//
// A worker claims a sync in one statement (store claimSync): the oldest runnable one (its time
// has come, its connector runs no other sync) that no hold keeps back (domain/holds.ts, compiled
// into the statement), now RUNNING under a lease the worker must renew. A sync whose lease runs out is retried or given up
// (domain/syncs.ts onLostLease), in one transaction per batch.

import type { SyncPhase } from "../domain/progress.js";
import { emitSyncErrored } from "../commands/events.js";
import type { Runtime } from "../commands/context.js";
import { SERVICE_CATALOGS } from "../domain/catalog.js";
import type { ConnectorRecord, SyncRecord } from "../domain/model.js";
import { onLostLease } from "../domain/syncs.js";

export interface ClaimedSync {
  readonly sync: SyncRecord;
  readonly connector: ConnectorRecord;
  readonly leaseUntil: number;
}

/**
 * Claims the oldest runnable sync for `owner` under a lease: any local connector's (a worker), or
 * with `connectorId` that connector's own (its service-mode process, through GetTask). The one
 * claim rule for both kinds of runner.
 */
export async function claimNextSync(
  runtime: Runtime,
  owner: string,
  leaseMs: number,
  connectorId?: string,
): Promise<ClaimedSync | null> {
  // A connector's process polls often and mostly finds nothing: look before taking the writer.
  // (The claim below checks again: startSync only moves a sync that is still QUEUED.)
  if (connectorId !== undefined) {
    if (!(await runtime.store.nextRunnableSync(connectorId, runtime.clock.now()))) return null;
  }
  const now = runtime.clock.now();
  const leaseUntil = now + leaseMs;
  // One statement: the sync RUNNING under the lease, its event, its connector marked running.
  const claimed = await runtime.store.claimSync({
    owner,
    now,
    leaseUntil,
    ...claimScope(connectorId),
  });
  return claimed ? { ...claimed, leaseUntil } : null;
}

/**
 * Whose work a claim may take: one connector's (its service-mode process, through GetTask), or a
 * worker's — every connector's except service-mode ones, which wait for their own GetTask
 * (service/baton-service.ts). The same for syncs and provisioning tasks.
 */
export const claimScope = (connectorId: string | undefined) =>
  connectorId === undefined ? { exceptCatalogs: SERVICE_CATALOGS } : { connectorId };

/**
 * Extends a claimed sync's lease, recording its progress when given; false when `owner` no
 * longer holds it (taken back).
 */
export function renewSyncLease(
  runtime: Runtime,
  claimed: Pick<ClaimedSync, "sync">,
  owner: string,
  leaseMs: number,
  progress?: { readonly phase: SyncPhase; readonly message: string },
): Promise<boolean> {
  const now = runtime.clock.now();
  const { id, attempt } = claimed.sync;
  return runtime.store.transaction((tx) =>
    tx.renewLease(
      id,
      owner,
      attempt,
      now + leaseMs,
      now,
      progress && { attempt, phase: progress.phase, message: progress.message, at: now },
    ),
  );
}

export interface RecoveryResult {
  readonly requeued: number;
  readonly failed: number;
  readonly coalesced: number;
}

/** Rows sorted by their connector's id: the order in which a batch locks connectors. */
export const byConnector = <T extends { readonly connectorId: string }>(rows: readonly T[]): T[] =>
  [...rows].sort((a, b) =>
    a.connectorId < b.connectorId ? -1 : a.connectorId > b.connectorId ? 1 : 0,
  );

/** Takes back the syncs whose workers stopped renewing their leases. */
export async function recoverLostLeases(
  runtime: Runtime,
  maxAttempts: number,
): Promise<RecoveryResult> {
  const result = { requeued: 0, failed: 0, coalesced: 0 };
  // Every worker runs this on every poll; nearly always nothing is lost: look before writing.
  if ((await runtime.store.expiredLeases(runtime.clock.now(), 1)).length === 0) return result;
  return runtime.store.transaction(async (tx) => {
    const now = runtime.clock.now();
    // Connectors locked in id order, so that two nodes recovering at once cannot deadlock.
    for (const lost of byConnector(await tx.expiredLeases(now, 100))) {
      const connector = await tx.lockConnector(lost.appId, lost.connectorId);
      // Read again under the lock: another node may have taken it back meanwhile.
      const sync = await tx.getSync(lost.connectorId, lost.id);
      if (sync?.state !== "RUNNING" || (sync.leaseExpiresAt ?? 0) >= now) continue;
      const { queued } = await tx.queueSnapshot(sync.connectorId);
      const outcome = onLostLease(sync.attempt, maxAttempts, queued > 0);
      let message: string;
      if (outcome.kind === "requeue") {
        message = "the worker running this sync stopped; retrying";
        await tx.requeueSync(sync.id, now, message, now);
        result.requeued++;
      } else {
        message = outcome.message;
        await tx.finishSync(sync.id, {
          state: outcome.kind === "error" ? "ERRORED" : "CANCELED",
          finishedAt: now,
          error: message,
        });
        if (outcome.kind === "error") {
          result.failed++;
          await emitSyncErrored(tx, runtime, now, sync, message);
        } else result.coalesced++;
      }
      // The connector is no longer running this sync: show why until the next one starts.
      if (connector) {
        await tx.setConnectorSyncStatus(connector.id, {
          status: "SYNC_STATUS_ERROR",
          startedAt: connector.syncStatus.startedAt,
          completedAt: now,
          updatedAt: now,
          lastError: message,
        });
      }
    }
    return result;
  });
}
