// Requesting a sync inside a command's transaction, with coalescing (see domain/syncs.ts).

import type { ConnectorRecord } from "../domain/model.js";
import { shouldEnqueue, type SyncTrigger } from "../domain/syncs.js";
import { newId } from "../runtime.js";
import type { StoreTx } from "../store/store.js";
import type { Actor, Runtime } from "./context.js";

export interface EnqueueResult {
  /** The new sync's id, or null when an already queued sync absorbed the request. */
  readonly syncId: string | null;
}

export async function enqueueSync(
  tx: StoreTx,
  runtime: Runtime,
  actor: Actor,
  connector: ConnectorRecord,
  trigger: SyncTrigger,
  now: number,
): Promise<EnqueueResult> {
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
