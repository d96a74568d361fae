// What happens when a connector's sync ends.
//
// Success: the snapshot's rows are stored under the sync's id (in batches, and a c1z's grants
// straight from its file where the store can: nothing reads them until the switch), then one
// transaction runs the data-drop guard against the last applied sync's counts and either applies
// the sync — the connector's applied_sync_id moves to it, syncs still held for a drop are
// superseded, the DATA_DROP hold is cleared and a freshness target plans the next sync — or holds
// it in ERRORED_NO_DATA with a DATA_DROP hold whose note names the worst drop (sync.held).
// Failure: retried with backoff when the connector said it may be, else ERRORED (sync.errored).
// Either way nothing is recorded if the worker lost its lease meanwhile (another took over).

import type { Runtime } from "../commands/context.js";
import type { ConnectorError, SyncSnapshot } from "../connectors/runner.js";
import { checkDataDrop, DEFAULT_DATA_DROP_POLICY, shownDrop } from "../domain/data-drop.js";
import type { SyncRecord } from "../domain/model.js";
import { decideRetry, type RetryPolicy } from "../domain/retry.js";
import type { InventoryBatch, StoreTx } from "../store/store.js";
import { applySync, setSyncStatus } from "../commands/apply-sync.js";
import { emitEvent, emitSyncErrored } from "../commands/events.js";
import type { ClaimedSync } from "./queue.js";

const STAGE_BATCH = 2000;

export type SyncEnd =
  | { readonly state: "SUCCEEDED" }
  | { readonly state: "ERRORED_NO_DATA"; readonly summary: string }
  | { readonly state: "QUEUED"; readonly retryAt: number; readonly error: string }
  | { readonly state: "ERRORED"; readonly error: string }
  | { readonly state: "LOST" };

/** Still ours? The sync must be RUNNING under this worker's lease, in this same attempt. */
async function stillOwned(
  tx: StoreTx,
  claimed: ClaimedSync,
  worker: string,
): Promise<SyncRecord | null> {
  const sync = await tx.getSync(claimed.connector.id, claimed.sync.id);
  const ours =
    sync?.state === "RUNNING" &&
    sync.leaseOwner === worker &&
    sync.attempt === claimed.sync.attempt;
  return ours ? sync : null;
}

export async function recordSnapshot(
  runtime: Runtime,
  claimed: ClaimedSync,
  worker: string,
  snapshot: SyncSnapshot,
): Promise<SyncEnd> {
  const { store } = runtime;
  const syncId = claimed.sync.id;
  const stage = async (key: keyof InventoryBatch, batches: AsyncIterable<readonly unknown[]>) => {
    for await (const batch of batches) {
      for (let i = 0; i < batch.length; i += STAGE_BATCH) {
        const rows = batch.slice(i, i + STAGE_BATCH);
        await store.transaction((tx) => tx.insertInventory(syncId, { [key]: rows }));
      }
    }
  };
  // Grants a store can read from the connector's own file are staged on its threads while the
  // resources and entitlements go through batches here.
  const fromFile =
    snapshot.grantSource && store.stageGrantsFromFile
      ? store.stageGrantsFromFile(syncId, snapshot.grantSource)
      : null;
  const [batches, fileGrants] = await Promise.allSettled([
    (async () => {
      if (snapshot.resourceTypes.length > 0) {
        await store.transaction((tx) =>
          tx.insertInventory(syncId, { resourceTypes: snapshot.resourceTypes }),
        );
      }
      await stage("resources", snapshot.resources());
      await stage("entitlements", snapshot.entitlements());
      if (!fromFile) {
        await stage("grants", snapshot.grants());
        await stage("grantPrincipals", snapshot.grants("principal"));
      }
    })(),
    fromFile,
  ]);
  if (batches.status === "rejected") throw batches.reason;
  if (fileGrants.status === "rejected") throw fileGrants.reason;

  const exempt = snapshot.resourceTypes
    .filter((type) => type.skipDataDropCheck)
    .map((type) => type.id);
  return store.transaction(async (tx): Promise<SyncEnd> => {
    // Lock order: the connector, then its sync (store.ts, "Concurrency").
    const connector = await tx.lockConnector(claimed.connector.appId, claimed.connector.id);
    const sync = await stillOwned(tx, claimed, worker);
    if (!sync || !connector) return { state: "LOST" };
    const now = runtime.clock.now();
    const baseline = connector.appliedSyncId
      ? ((await tx.getSync(connector.id, connector.appliedSyncId))?.counts ?? null)
      : null;
    const verdict = connector.disableCheckBadSync
      ? null
      : checkDataDrop(
          baseline,
          snapshot.counts,
          new Set(exempt),
          connector.dataDropPolicy ?? DEFAULT_DATA_DROP_POLICY,
        );
    const finish = {
      finishedAt: now,
      counts: snapshot.counts,
      baselineCounts: baseline,
      exemptResourceTypeIds: exempt,
    };
    if (verdict?.flagged) {
      await tx.finishSync(sync.id, {
        ...finish,
        state: "ERRORED_NO_DATA",
        error: verdict.summary,
        dataDrops: verdict.drops,
      });
      await tx.deleteHold(connector.id, "DATA_DROP"); // a newer drop replaces the note
      await tx.insertHold(connector.id, {
        kind: "DATA_DROP",
        actor: "system",
        note: verdict.summary,
        createdAt: now,
      });
      await setSyncStatus(tx, connector, "SYNC_STATUS_ERROR", now, verdict.summary);
      await emitEvent(tx, runtime, now, {
        type: "sync.held",
        appId: connector.appId,
        connectorId: connector.id,
        data: { syncId: sync.id, summary: verdict.summary, drops: verdict.drops.map(shownDrop) },
      });
      return { state: "ERRORED_NO_DATA", summary: verdict.summary };
    }
    await tx.finishSync(sync.id, { ...finish, state: "SUCCEEDED", error: "" });
    await applySync(tx, connector, sync.id, now);
    return { state: "SUCCEEDED" };
  });
}

export async function recordFailure(
  runtime: Runtime,
  claimed: ClaimedSync,
  worker: string,
  error: ConnectorError,
  policy: RetryPolicy,
  random: number,
): Promise<SyncEnd> {
  return runtime.store.transaction(async (tx): Promise<SyncEnd> => {
    // Lock order: the connector, then its sync (store.ts, "Concurrency").
    const connector = await tx.lockConnector(claimed.connector.appId, claimed.connector.id);
    const sync = await stillOwned(tx, claimed, worker);
    if (!sync || !connector) return { state: "LOST" };
    const now = runtime.clock.now();
    const { queued } = await tx.queueSnapshot(connector.id);
    const decision = decideRetry(sync.attempt, error.retryable, random, policy, error.retryAfterMs);
    await setSyncStatus(tx, connector, "SYNC_STATUS_ERROR", now, error.message);
    // A sync queued behind this one will try again anyway: no second retry row.
    if (decision.retry && queued === 0) {
      await tx.requeueSync(sync.id, now + decision.delayMs, error.message, now);
      return { state: "QUEUED", retryAt: now + decision.delayMs, error: error.message };
    }
    await tx.finishSync(sync.id, { state: "ERRORED", finishedAt: now, error: error.message });
    await emitSyncErrored(tx, runtime, now, sync, error.message);
    return { state: "ERRORED", error: error.message };
  });
}
