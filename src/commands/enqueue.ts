// Requesting a sync inside a command's transaction, with coalescing (see domain/syncs.ts).

import { configRequired, isCatalogId } from "../domain/catalog.js";
import type { ConnectorRecord } from "../domain/model.js";
import { shouldEnqueue, type SyncTrigger } from "../domain/syncs.js";
import { newId } from "../runtime.js";
import type { StoreTx } from "../store/store.js";
import type { Actor, Runtime } from "./context.js";

export interface EnqueueResult {
  /**
   * The new sync's id, or null when nothing was queued: a sync already queued absorbed the
   * request, or the connector cannot run yet (its catalog needs a config and it has none).
   */
  readonly syncId: string | null;
}

/** Whether the connector has what it needs to run a sync. */
export const isRunnable = (connector: ConnectorRecord): boolean =>
  connector.config !== null ||
  (isCatalogId(connector.catalogId) && !configRequired(connector.catalogId));

export async function enqueueSync(
  tx: StoreTx,
  runtime: Runtime,
  actor: Actor,
  connector: ConnectorRecord,
  trigger: SyncTrigger,
  now: number,
): Promise<EnqueueResult> {
  if (!isRunnable(connector)) return { syncId: null };
  if (!shouldEnqueue(await tx.queueSnapshot(connector.id))) return { syncId: null };
  const id = newId(runtime.clock);
  await tx.insertSync({
    id,
    connectorId: connector.id,
    appId: connector.appId,
    trigger,
    queuedAt: now,
    requestedBy: actor.name,
  });
  return { syncId: id };
}
