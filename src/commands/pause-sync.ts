// PauseSync: add a PAUSED hold, cancel queued syncs, hold queued provisioning tasks (they wait as
// HELD: a person's access request is never dropped). A sync or task already running finishes (it
// is not interrupted); nothing new starts until ResumeSync. Pausing twice changes nothing.
//
// A pause may have a timer (`until`, domain/pause.ts): at that time the connector resumes by
// itself (resume-sync.ts resumeTimedPause, run by the scheduler). A PauseSync on a connector
// already paused replaces the timer — and the note, when it gives one — instead of doing
// nothing: without `until` the pause then has no timer.

import { checkLength } from "../domain/limits.js";
import { pauseUntil } from "../domain/pause.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { lockConnector } from "./lookups.js";

export interface PauseSyncInput {
  readonly appId: string;
  readonly connectorId: string;
  readonly note?: string;
  /** An RFC 3339 time or a duration from now ("2h"); empty or absent: no timer. */
  readonly until?: string;
}

/** What a PauseSync did: paused; nothing (already paused alike); a paused connector's timer or note replaced. */
export type PauseOutcome = "PAUSED" | "ALREADY_PAUSED" | "TIMER_REPLACED";

export async function pauseSync(
  runtime: Runtime,
  actor: Actor,
  input: PauseSyncInput,
): Promise<PauseOutcome> {
  checkLength("note", input.note ?? "", "note");
  const requested = pauseUntil(input.until, runtime.clock.now());
  const note = input.note?.trim();
  return runtime.store.transaction(async (tx): Promise<PauseOutcome> => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const now = runtime.clock.now();
    const paused = (await tx.listHolds(connector.id)).find((hold) => hold.kind === "PAUSED");
    if (paused) {
      // Already paused: the timer (and a note given) replace the old ones; nothing else changes.
      const sameTimer = (paused.until ?? null) === requested;
      if (sameTimer && (note === undefined || note === paused.note)) return "ALREADY_PAUSED";
      await tx.updateHold(connector.id, "PAUSED", {
        actor: actor.name,
        note: note ?? paused.note,
        until: requested,
      });
      await audit(tx, runtime, actor, now, {
        action: "connector.pause",
        objectType: "connector",
        objectId: connector.id,
        details: {
          alreadyPaused: true,
          note: note ?? paused.note,
          until: isoOrNull(requested),
          replacedUntil: isoOrNull(paused.until ?? null),
        },
      });
      return "TIMER_REPLACED";
    }
    await tx.insertHold(connector.id, {
      kind: "PAUSED",
      actor: actor.name,
      note: note ?? "",
      createdAt: now,
      until: requested,
    });
    const canceled = await tx.cancelQueuedSyncs(connector.id, "paused", now);
    const heldTaskIds = await tx.holdQueuedTasks(connector.id, now);
    await audit(tx, runtime, actor, now, {
      action: "connector.pause",
      objectType: "connector",
      objectId: connector.id,
      details: {
        canceledSyncIds: canceled,
        heldTaskIds,
        note: note ?? "",
        until: isoOrNull(requested),
      },
    });
    return "PAUSED";
  });
}

const isoOrNull = (at: number | null): string | null =>
  at === null ? null : new Date(at).toISOString();
