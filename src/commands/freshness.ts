// Planning a connector's next sync under a freshness target (domain/freshness.ts) from what the
// store knows: when the applied sync started, and how long the latest successful syncs took.
// Used when a target is set, when a sync is applied, and by the schedule preview.

import { planFreshness, RECENT_SYNCS, type FreshnessPlan } from "../domain/freshness.js";
import type { ConnectorRecord } from "../domain/model.js";
import type { StoreReader, StoreTx } from "../store/store.js";

export async function freshnessPlanOf(
  reader: StoreReader,
  connector: ConnectorRecord,
  maxAgeMs: number,
  now: number,
): Promise<FreshnessPlan> {
  const applied = connector.appliedSyncId
    ? await reader.getSync(connector.id, connector.appliedSyncId)
    : null;
  return planFreshness({
    connectorId: connector.id,
    maxAgeMs,
    appliedStartedAt: applied?.startedAt ?? null,
    recentDurationsMs: await recentSyncDurations(reader, connector.id),
    now,
  });
}

/**
 * How long the connector's latest successful syncs took (newest first, at most RECENT_SYNCS):
 * what freshness plans and a running sync's progress estimate go by.
 */
export async function recentSyncDurations(
  reader: StoreReader,
  connectorId: string,
): Promise<number[]> {
  const recent = await reader.listSyncs(connectorId, {
    states: ["SUCCEEDED", "CONFIRMED"],
    pageSize: RECENT_SYNCS,
    after: null,
  });
  return recent.items.flatMap((sync) =>
    sync.startedAt !== null && sync.finishedAt !== null ? [sync.finishedAt - sync.startedAt] : [],
  );
}

/** After a sync was applied: a connector under a freshness target plans its next sync from it. */
export async function replanFreshness(
  tx: StoreTx,
  connector: ConnectorRecord,
  now: number,
): Promise<void> {
  const schedule = await tx.getSchedule(connector.id);
  if (!schedule?.maxAgeMs) return;
  const plan = await freshnessPlanOf(tx, connector, schedule.maxAgeMs, now);
  await tx.setNextFire(connector.id, plan.nextStartAt, now, plan.expectedMs);
}
