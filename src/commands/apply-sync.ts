// Applying a finished sync: its rows become the connector's inventory. Shared by the sync engine
// (a sync that passed the data-drop guard) and ConfirmSyncValid (a held sync a person vouched for).

import type { ConnectorRecord } from "../domain/model.js";
import type { StoreTx } from "../store/store.js";
import { replanFreshness } from "./freshness.js";

/**
 * Makes a finished sync the connector's inventory and lifts a data-drop hold; a connector under
 * a freshness target plans its next sync from this one's start.
 */
export async function applySync(
  tx: StoreTx,
  connector: ConnectorRecord,
  syncId: string,
  now: number,
): Promise<void> {
  await tx.supersedeHeldSyncs(connector.id, now);
  await tx.setAppliedSync(connector.id, syncId, now);
  await replanFreshness(tx, { ...connector, appliedSyncId: syncId }, now);
  await tx.deleteHold(connector.id, "DATA_DROP");
  await setSyncStatus(tx, connector, "SYNC_STATUS_DONE", now, "");
}

export async function setSyncStatus(
  tx: StoreTx,
  connector: ConnectorRecord,
  status: "SYNC_STATUS_DONE" | "SYNC_STATUS_ERROR",
  now: number,
  lastError: string,
): Promise<void> {
  await tx.setConnectorSyncStatus(connector.id, {
    status,
    startedAt: connector.syncStatus.startedAt,
    completedAt: now,
    updatedAt: now,
    lastError,
  });
}
