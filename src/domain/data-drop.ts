// The data-drop guard (C1's bad-sync check): before a successful sync replaces the connector's
// inventory, compare its counts with those of the last applied sync and hold it if data
// collapsed. A held sync ends ERRORED_NO_DATA and is applied only after ConfirmSyncValid.
//
// A count is flagged when it falls by at least `thresholdPercent` AND by at least `minRows`, or
// when a count of at least NON_TRIVIAL rows falls to zero; the sync is flagged when any count is,
// or when it is empty after a non-empty one. Resource types the connector marks exempt
// (baton's SkipSyncAnomalyDetection) are left out, from the per-type counts and — when the
// counts say which type entitlements and grants belong to — from those totals too.

import type { SyncCounts } from "./model.js";

export interface DataDropPolicy {
  /** Smallest fall, in percent of the baseline, that counts as a drop. */
  readonly thresholdPercent: number;
  /** Smallest fall, in rows, that counts as a drop. */
  readonly minRows: number;
}

export const DEFAULT_DATA_DROP_POLICY: DataDropPolicy = { thresholdPercent: 50, minRows: 10 };

/** A count at least this large falling to zero is a drop whatever the policy says. */
export const NON_TRIVIAL = 5;

export interface CountDrop {
  /** "user" (a resource type), "entitlements" or "grants". */
  readonly what: string;
  readonly before: number;
  readonly after: number;
  /** Fall in percent of `before`, 0–100. */
  readonly percent: number;
}

export interface DataDropVerdict {
  readonly flagged: boolean;
  /** Every flagged count, worst first. */
  readonly drops: readonly CountDrop[];
  /** "user: 1000 → 12 (-98.8%)" for the worst drop, or "" when not flagged. */
  readonly summary: string;
}

const NOT_FLAGGED: DataDropVerdict = { flagged: false, drops: [], summary: "" };

export function describeDrop(drop: CountDrop): string {
  return `${drop.what}: ${drop.before} → ${drop.after} (-${drop.percent.toFixed(1)}%)`;
}

export function checkDataDrop(
  baseline: SyncCounts | null,
  current: SyncCounts,
  exemptResourceTypeIds: ReadonlySet<string>,
  policy: DataDropPolicy = DEFAULT_DATA_DROP_POLICY,
): DataDropVerdict {
  if (baseline === null) return NOT_FLAGGED; // the first sync has nothing to compare with
  const comparisons: { what: string; before: number; after: number }[] = [];
  const types = new Set([...Object.keys(baseline.resources), ...Object.keys(current.resources)]);
  for (const type of [...types].sort()) {
    if (exemptResourceTypeIds.has(type)) continue;
    comparisons.push({
      what: type,
      before: baseline.resources[type] ?? 0,
      after: current.resources[type] ?? 0,
    });
  }
  comparisons.push({
    what: "entitlements",
    before: checkedTotal(
      baseline.entitlements,
      baseline.entitlementsByResourceType,
      exemptResourceTypeIds,
    ),
    after: checkedTotal(
      current.entitlements,
      current.entitlementsByResourceType,
      exemptResourceTypeIds,
    ),
  });
  comparisons.push({
    what: "grants",
    before: checkedTotal(baseline.grants, baseline.grantsByResourceType, exemptResourceTypeIds),
    after: checkedTotal(current.grants, current.grantsByResourceType, exemptResourceTypeIds),
  });

  const drops: CountDrop[] = [];
  for (const { what, before, after } of comparisons) {
    if (after >= before || before === 0) continue;
    const fall = before - after;
    const percent = (fall / before) * 100;
    const overThreshold = percent >= policy.thresholdPercent && fall >= policy.minRows;
    const vanished = after === 0 && before >= NON_TRIVIAL;
    if (overThreshold || vanished) drops.push({ what, before, after, percent });
  }
  const wasEmpty = total(baseline) === 0;
  const isEmpty = total(current) === 0;
  if (drops.length === 0 && isEmpty && !wasEmpty) {
    drops.push({ what: "all data", before: total(baseline), after: 0, percent: 100 });
  }
  if (drops.length === 0) return NOT_FLAGGED;
  // Worst first: the steepest fall; on a tie a resource type (it names what vanished) before the
  // entitlement and grant totals that fall with it, then the larger fall.
  const isTotal = (drop: CountDrop) =>
    drop.what === "entitlements" || drop.what === "grants" ? 1 : 0;
  drops.sort(
    (a, b) =>
      b.percent - a.percent || isTotal(a) - isTotal(b) || b.before - b.after - (a.before - a.after),
  );
  return { flagged: true, drops, summary: describeDrop(drops[0] as CountDrop) };
}

/** A total without the exempt types' share, when the counts say which type each belongs to. */
function checkedTotal(
  totalCount: number,
  byType: Readonly<Record<string, number>> | undefined,
  exempt: ReadonlySet<string>,
): number {
  if (!byType) return totalCount;
  let excluded = 0;
  for (const [type, count] of Object.entries(byType)) if (exempt.has(type)) excluded += count;
  return Math.max(0, totalCount - excluded);
}

function total(counts: SyncCounts): number {
  const resources = Object.values(counts.resources).reduce((sum, n) => sum + n, 0);
  return resources + counts.entitlements + counts.grants;
}
