// PauseSync: add a PAUSED hold, cancel queued syncs, hold queued provisioning tasks (they wait as
// HELD: a person's access request is never dropped). A sync or task already running finishes (it
// is not interrupted); nothing new starts until ResumeSync. Pausing twice changes nothing.

import { hasHold } from "../domain/holds.js";
import { checkLength } from "../domain/limits.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { lockConnector } from "./lookups.js";

export interface PauseSyncInput {
  readonly appId: string;
  readonly connectorId: string;
  readonly note?: string;
}

export async function pauseSync(
  runtime: Runtime,
  actor: Actor,
  input: PauseSyncInput,
): Promise<void> {
  checkLength("note", input.note ?? "", "note");
  await runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const now = runtime.clock.now();
    if (hasHold(await tx.listHolds(connector.id), "PAUSED")) return; // already paused: no change
    await tx.insertHold(connector.id, {
      kind: "PAUSED",
      actor: actor.name,
      note: input.note?.trim() ?? "",
      createdAt: now,
    });
    const canceled = await tx.cancelQueuedSyncs(connector.id, "paused", now);
    const heldTaskIds = await tx.holdQueuedTasks(connector.id, now);
    await audit(tx, runtime, actor, now, {
      action: "connector.pause",
      objectType: "connector",
      objectId: connector.id,
      details: { canceledSyncIds: canceled, heldTaskIds, note: input.note ?? "" },
    });
  });
}
