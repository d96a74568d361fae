// UpdateConnectorSchedule: set (or, with no cron, clear) the connector's cron schedule and
// recompute its next fire at once.

import { nextFireAfter, parseSchedule } from "../domain/schedule.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { lockConnector } from "./lookups.js";

export interface UpdateScheduleInput {
  readonly appId: string;
  readonly connectorId: string;
  /** Absent: clear the schedule (manual syncs only). */
  readonly cron?: { readonly cronSpec?: unknown; readonly timezone?: unknown } | null;
}

export async function updateConnectorSchedule(
  runtime: Runtime,
  actor: Actor,
  input: UpdateScheduleInput,
): Promise<void> {
  // Validate before opening the transaction: a bad spec must not cost a write lock.
  const schedule = input.cron ? parseSchedule(input.cron) : null;
  await runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const now = runtime.clock.now();
    if (schedule === null) {
      if (!(await tx.deleteSchedule(connector.id))) return; // no schedule: no change
      await audit(tx, runtime, actor, now, {
        action: "connector.schedule.clear",
        objectType: "connector",
        objectId: connector.id,
      });
      return;
    }
    const current = await tx.getSchedule(connector.id);
    if (current?.cronSpec === schedule.cronSpec && current.timezone === schedule.timezone) return;
    await tx.upsertSchedule({
      connectorId: connector.id,
      cronSpec: schedule.cronSpec,
      timezone: schedule.timezone,
      startAt: now,
      nextFireAt: nextFireAfter(schedule, now),
      updatedAt: now,
    });
    await audit(tx, runtime, actor, now, {
      action: "connector.schedule.set",
      objectType: "connector",
      objectId: connector.id,
      details: { cronSpec: schedule.cronSpec, timezone: schedule.timezone },
    });
  });
}
