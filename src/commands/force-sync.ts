// ForceSync: enqueue one FORCE sync, coalesced with a queued one (see domain/syncs.ts). Refused
// while paused; allowed under a DATA_DROP hold so a fixed source can be re-checked.

import { failedPrecondition } from "../domain/errors.js";
import { forceSyncBlockedBy } from "../domain/holds.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { enqueueSync, isRunnable } from "./enqueue.js";
import { lockConnector } from "./lookups.js";
import type { ConnectorRef } from "./resume-sync.js";

export async function forceSync(
  runtime: Runtime,
  actor: Actor,
  input: ConnectorRef,
): Promise<"SYNC_QUEUED" | "COALESCED"> {
  return runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    if (forceSyncBlockedBy(await tx.listHolds(connector.id))) {
      throw failedPrecondition(`connector is paused; resume it (ResumeSync) before forcing a sync`);
    }
    if (!isRunnable(connector)) {
      throw failedPrecondition(
        `connector has no config; set one with an update (updateMask "config") before syncing`,
      );
    }
    const now = runtime.clock.now();
    const { syncId } = await enqueueSync(tx, runtime, actor, connector, "FORCE", now);
    if (syncId === null) return "COALESCED"; // absorbed by the sync already queued
    await audit(tx, runtime, actor, now, {
      action: "connector.force_sync",
      objectType: "connector",
      objectId: connector.id,
      details: { syncId },
    });
    return "SYNC_QUEUED";
  });
}
