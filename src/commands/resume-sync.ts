// ResumeSync: remove the PAUSED hold, release held provisioning tasks in the order they were
// created, then enqueue one RESUME sync (coalesced; it starts after the released tasks, so it
// shows their effect). Missed schedule fires are not replayed: the schedule's next fire is
// recomputed from now. Not paused → no-op.

import { hasHold } from "../domain/holds.js";
import { nextFireAfter } from "../domain/schedule.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { enqueueSync } from "./enqueue.js";
import { lockConnector } from "./lookups.js";

export interface ConnectorRef {
  readonly appId: string;
  readonly connectorId: string;
}

export async function resumeSync(
  runtime: Runtime,
  actor: Actor,
  input: ConnectorRef,
): Promise<void> {
  await runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const now = runtime.clock.now();
    if (!hasHold(await tx.listHolds(connector.id), "PAUSED")) return; // not paused: no change
    await tx.deleteHold(connector.id, "PAUSED");
    const releasedTaskIds = await tx.releaseHeldTasks(connector.id, now);
    // A fire that came due while paused is dropped: the schedule continues from now. (A next
    // fire still ahead needs no change.)
    const schedule = await tx.getSchedule(connector.id);
    if (schedule && (schedule.nextFireAt === null || schedule.nextFireAt <= now)) {
      await tx.upsertSchedule({
        ...schedule,
        nextFireAt: nextFireAfter(schedule, now),
        updatedAt: now,
      });
    }
    const { syncId } = await enqueueSync(tx, runtime, actor, connector, "RESUME", now);
    await audit(tx, runtime, actor, now, {
      action: "connector.resume",
      objectType: "connector",
      objectId: connector.id,
      details: { syncId, releasedTaskIds },
    });
  });
}
