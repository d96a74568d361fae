// ConfirmSyncValid: a person says a sync held for a data drop is right. The sync becomes
// CONFIRMED and the connector's applied baseline, the DATA_DROP hold is cleared, and a CONFIRM
// sync is enqueued unless the connector is also paused. Confirming a CONFIRMED sync is a no-op.

import { failedPrecondition } from "../domain/errors.js";
import { hasHold } from "../domain/holds.js";
import { canTransition } from "../domain/syncs.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { applySync } from "./apply-sync.js";
import { enqueueSync } from "./enqueue.js";
import { lockConnector, requireSync } from "./lookups.js";

export interface ConfirmSyncValidInput {
  readonly appId: string;
  readonly connectorId: string;
  readonly syncLifecycleId: string;
}

export async function confirmSyncValid(
  runtime: Runtime,
  actor: Actor,
  input: ConfirmSyncValidInput,
): Promise<void> {
  await runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const sync = await requireSync(tx, connector.id, input.syncLifecycleId);
    const now = runtime.clock.now();
    if (sync.state === "CONFIRMED") return; // confirmed before: no change
    if (!canTransition(sync.state, "CONFIRMED")) {
      throw failedPrecondition(
        `sync lifecycle ${sync.id} is ${sync.state}; only a sync in ERRORED_NO_DATA (held for a data drop) can be confirmed`,
      );
    }
    const latest = await tx.latestFinishedSync(connector.id);
    if (latest && latest.id !== sync.id) {
      throw failedPrecondition(
        `sync lifecycle ${sync.id} is not the connector's most recent finished sync (${latest.id} is, in state ${latest.state}); only the latest can be confirmed`,
      );
    }
    if (!(await tx.setSyncState(sync.id, [sync.state], "CONFIRMED", now))) {
      throw failedPrecondition(`sync lifecycle ${sync.id} changed state; read it again and retry`);
    }
    // Its data (kept while it was held) becomes the inventory, and the hold goes.
    await applySync(tx, connector, sync.id, now);
    const paused = hasHold(await tx.listHolds(connector.id), "PAUSED");
    const { syncId } = paused
      ? { syncId: null }
      : await enqueueSync(tx, runtime, actor, connector, "CONFIRM", now);
    await audit(tx, runtime, actor, now, {
      action: "sync.confirm_valid",
      objectType: "sync",
      objectId: sync.id,
      details: { connectorId: connector.id, followUpSyncId: syncId },
    });
  });
}
