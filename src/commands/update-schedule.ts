// UpdateConnectorSchedule: set the connector's cron schedule, or (a syncplane extension) a
// freshness target instead; with neither, clear it. The next fire is recomputed at once: a cron's
// next time, or a freshness target's plan from the applied sync (commands/freshness.ts).

import { invalidArgument } from "../domain/errors.js";
import { parseFreshness } from "../domain/freshness.js";
import { nextFireAfter, parseSchedule } from "../domain/schedule.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { freshnessPlanOf } from "./freshness.js";
import { lockConnector } from "./lookups.js";

export interface UpdateScheduleInput {
  readonly appId: string;
  readonly connectorId: string;
  /** Absent (and no freshness): clear the schedule (manual syncs only). */
  readonly cron?: { readonly cronSpec?: unknown; readonly timezone?: unknown } | null;
  /** A freshness target instead of a cron: "data no older than maxAge". */
  readonly freshness?: { readonly maxAge?: unknown } | null;
}

export async function updateConnectorSchedule(
  runtime: Runtime,
  actor: Actor,
  input: UpdateScheduleInput,
): Promise<void> {
  // Validate before opening the transaction: a bad spec must not cost a write lock.
  if (input.cron && input.freshness) {
    throw invalidArgument(
      "give either cron or freshness: a connector follows a cron schedule or a freshness target, not both",
    );
  }
  const schedule = input.cron ? parseSchedule(input.cron) : null;
  const target = input.freshness ? parseFreshness(input.freshness) : null;
  await runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const now = runtime.clock.now();
    const current = await tx.getSchedule(connector.id);
    if (target) {
      if (current?.maxAgeMs === target.maxAgeMs) return;
      const plan = await freshnessPlanOf(tx, connector, target.maxAgeMs, now);
      await tx.upsertSchedule({
        connectorId: connector.id,
        cronSpec: "",
        timezone: "UTC",
        startAt: now,
        nextFireAt: plan.nextStartAt,
        updatedAt: now,
        maxAgeMs: target.maxAgeMs,
        expectedMs: plan.expectedMs,
      });
      await audit(tx, runtime, actor, now, {
        action: "connector.schedule.set",
        objectType: "connector",
        objectId: connector.id,
        details: { freshnessMaxAgeMs: target.maxAgeMs },
      });
      return;
    }
    if (schedule === null) {
      if (!(await tx.deleteSchedule(connector.id))) return; // no schedule: no change
      await audit(tx, runtime, actor, now, {
        action: "connector.schedule.clear",
        objectType: "connector",
        objectId: connector.id,
      });
      return;
    }
    if (
      !current?.maxAgeMs &&
      current?.cronSpec === schedule.cronSpec &&
      current.timezone === schedule.timezone
    ) {
      return;
    }
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
