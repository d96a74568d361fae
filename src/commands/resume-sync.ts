// ResumeSync: remove the PAUSED hold, release held provisioning tasks in the order they were
// created, then enqueue one RESUME sync (coalesced; it starts after the released tasks, so it
// shows their effect). Missed schedule fires are not replayed: the schedule's next fire is
// recomputed from now. Not paused → no-op. A pause's timer goes with it.
//
// resumeTimedPause does the same when a timed pause's `until` has come (the scheduler calls it):
// recorded as the system acting for the person who set the timer.

import { advanceSchedule } from "../domain/schedule.js";
import { emitEvent } from "./events.js";
import type { ConnectorRecord } from "../domain/model.js";
import type { StoreTx, TimedPause } from "../store/store.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { enqueueSync } from "./enqueue.js";
import { lockConnector } from "./lookups.js";

export interface ConnectorRef {
  readonly appId: string;
  readonly connectorId: string;
}

/** The engine acting on its own. */
const SYSTEM: Actor = { name: "system", requestId: "" };

export async function resumeSync(
  runtime: Runtime,
  actor: Actor,
  input: ConnectorRef,
): Promise<"RESUMED" | "NOT_PAUSED"> {
  return runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const paused = (await tx.listHolds(connector.id)).find((hold) => hold.kind === "PAUSED");
    if (!paused) return "NOT_PAUSED"; // no change
    await resume(tx, runtime, actor, connector, {});
    return "RESUMED";
  });
}

/**
 * Resumes the connector of a timed pause whose time has come; false when there is nothing to do
 * any more (resumed, paused again with another timer or none, or deleted meanwhile — checked
 * under the connector's lock, so two schedulers resume it once).
 */
export async function resumeTimedPause(runtime: Runtime, due: TimedPause): Promise<boolean> {
  return runtime.store.transaction(async (tx) => {
    const connector = await tx.lockConnector(due.appId, due.connectorId);
    if (!connector) return false;
    const now = runtime.clock.now();
    const paused = (await tx.listHolds(connector.id)).find((hold) => hold.kind === "PAUSED");
    if (!paused || paused.until === null || paused.until === undefined || paused.until > now) {
      return false;
    }
    await resume(tx, runtime, SYSTEM, connector, {
      reason: "the timed pause ended",
      onBehalfOf: paused.actor,
      pausedUntil: new Date(paused.until).toISOString(),
    });
    await emitEvent(tx, runtime, now, {
      type: "pause.ended",
      appId: connector.appId,
      connectorId: connector.id,
      data: {
        pausedBy: paused.actor,
        note: paused.note,
        pausedUntil: new Date(paused.until).toISOString(),
      },
    });
    return true;
  });
}

async function resume(
  tx: StoreTx,
  runtime: Runtime,
  actor: Actor,
  connector: ConnectorRecord,
  details: Readonly<Record<string, unknown>>,
): Promise<void> {
  const now = runtime.clock.now();
  await tx.deleteHold(connector.id, "PAUSED");
  const releasedTaskIds = await tx.releaseHeldTasks(connector.id, now);
  // A fire that came due while paused is dropped: the schedule continues from now. (A next fire
  // still ahead needs no change.)
  const schedule = await tx.getSchedule(connector.id);
  if (schedule && (schedule.nextFireAt === null || schedule.nextFireAt <= now)) {
    await tx.upsertSchedule({
      ...schedule,
      nextFireAt: advanceSchedule(schedule, now),
      updatedAt: now,
    });
  }
  const { syncId } = await enqueueSync(tx, runtime, actor, connector, "RESUME", now);
  await audit(tx, runtime, actor, now, {
    action: "connector.resume",
    objectType: "connector",
    objectId: connector.id,
    details: { syncId, releasedTaskIds, ...details },
  });
}
