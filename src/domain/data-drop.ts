// The data-drop guard (C1's bad-sync check): before a successful sync replaces the connector's
// inventory, compare its counts with those of the last applied sync and hold it if data
// collapsed. A held sync ends ERRORED_NO_DATA and is applied only after ConfirmSyncValid.
//
// A count is flagged when it falls by at least `thresholdPercent` AND by at least `minRows` (a
// resource type's own limits when the policy names it, else the default), or
// when a count of at least NON_TRIVIAL rows falls to zero; the sync is flagged when any count is,
// or when it is empty after a non-empty one. Resource types the connector marks exempt
// (baton's SkipSyncAnomalyDetection) are left out, from the per-type counts and — when the
// counts say which type entitlements and grants belong to — from those totals too.

import { invalidArgument } from "./errors.js";
import { codePoints } from "./limits.js";
import type { SyncCounts } from "./model.js";

export interface DataDropLimits {
  /** Smallest fall, in percent of the baseline, that counts as a drop. */
  readonly thresholdPercent: number;
  /** Smallest fall, in rows, that counts as a drop. */
  readonly minRows: number;
}

/**
 * The connector's limits: the default for every count, and optionally limits of their own for
 * some resource types (users strict, groups loose). The entitlement and grant totals use the
 * default.
 */
export interface DataDropPolicy extends DataDropLimits {
  readonly resourceTypes?: Readonly<Record<string, DataDropLimits>>;
}

/** The most resource types a policy may name. */
export const MAX_POLICY_TYPES = 200;

/** The limits that apply to a count: the type's own, else the policy's default. */
export const limitsFor = (policy: DataDropPolicy, what: string): DataDropLimits =>
  policy.resourceTypes?.[what] ?? policy;

/** A policy as a client sent it, checked (null: the defaults). */
export function parseDataDropPolicy(raw: unknown): DataDropPolicy | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw invalidArgument("dataDropPolicy must be an object");
  }
  const value = raw as Record<string, unknown>;
  const limits = checkLimits(value, "dataDropPolicy");
  const types = value.resourceTypes;
  if (types === undefined || types === null) return limits;
  if (typeof types !== "object" || Array.isArray(types)) {
    throw invalidArgument("dataDropPolicy.resourceTypes must be an object of resource type ids");
  }
  const entries = Object.entries(types as Record<string, unknown>);
  if (entries.length > MAX_POLICY_TYPES) {
    throw invalidArgument(
      `dataDropPolicy.resourceTypes: at most ${MAX_POLICY_TYPES} resource types, got ${entries.length}`,
    );
  }
  const resourceTypes: Record<string, DataDropLimits> = {};
  for (const [type, typeLimits] of entries) {
    if (type.trim() === "" || codePoints(type) > 256) {
      throw invalidArgument(
        "dataDropPolicy.resourceTypes: a resource type id must be 1 to 256 characters",
      );
    }
    const field = `dataDropPolicy.resourceTypes[${JSON.stringify(type)}]`;
    if (typeof typeLimits !== "object" || typeLimits === null || Array.isArray(typeLimits)) {
      throw invalidArgument(`${field} must be an object with thresholdPercent and minRows`);
    }
    resourceTypes[type] = checkLimits(typeLimits as Record<string, unknown>, field);
  }
  return entries.length > 0 ? { ...limits, resourceTypes } : limits;
}

function checkLimits(value: Record<string, unknown>, field: string): DataDropLimits {
  const { thresholdPercent, minRows } = value;
  if (
    typeof thresholdPercent !== "number" ||
    !Number.isFinite(thresholdPercent) ||
    thresholdPercent < 1 ||
    thresholdPercent > 100
  ) {
    throw invalidArgument(`${field}.thresholdPercent must be a number from 1 to 100`);
  }
  if (
    typeof minRows !== "number" ||
    !Number.isInteger(minRows) ||
    minRows < 0 ||
    minRows > 1_000_000_000
  ) {
    throw invalidArgument(`${field}.minRows must be a whole number from 0 to 1000000000`);
  }
  return { thresholdPercent, minRows };
}

export const DEFAULT_DATA_DROP_POLICY: DataDropPolicy = { thresholdPercent: 50, minRows: 10 };

/** A count at least this large falling to zero is a drop whatever the policy says. */
export const NON_TRIVIAL = 5;

export interface CountDrop {
  /** "user" (a resource type), "entitlements", "grants", or "all data". */
  readonly what: string;
  readonly before: number;
  readonly after: number;
  /** Fall in percent of `before`, 0–100. */
  readonly percent: number;
  /**
   * Which rule fired: THRESHOLD (the fall reached `limits`), VANISHED (a count of at least
   * NON_TRIVIAL fell to zero, whatever the limits), EMPTIED (the whole sync came back empty).
   */
  readonly rule: "THRESHOLD" | "VANISHED" | "EMPTIED";
  /** The limits that applied to this count when it was checked (the type's own or the default). */
  readonly limits: DataDropLimits;
}

export interface DataDropVerdict {
  readonly flagged: boolean;
  /** Every flagged count, worst first. */
  readonly drops: readonly CountDrop[];
  /** "user: 1000 → 12 (-98.8%)" for the worst drop, or "" when not flagged. */
  readonly summary: string;
}

const NOT_FLAGGED: DataDropVerdict = { flagged: false, drops: [], summary: "" };

/** A drop as it is shown (API, webhooks): the percent to one decimal, as in the summary. */
export const shownDrop = (drop: CountDrop): CountDrop => ({
  what: drop.what,
  before: drop.before,
  after: drop.after,
  percent: Math.round(drop.percent * 10) / 10,
  rule: drop.rule,
  limits: { thresholdPercent: drop.limits.thresholdPercent, minRows: drop.limits.minRows },
});

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
  const comparisons: { what: string; before: number; after: number; limits: DataDropLimits }[] = [];
  const types = new Set([...Object.keys(baseline.resources), ...Object.keys(current.resources)]);
  for (const type of [...types].sort()) {
    if (exemptResourceTypeIds.has(type)) continue;
    comparisons.push({
      what: type,
      before: baseline.resources[type] ?? 0,
      after: current.resources[type] ?? 0,
      limits: limitsFor(policy, type),
    });
  }
  comparisons.push({
    what: "entitlements",
    limits: policy,
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
    limits: policy,
    before: checkedTotal(baseline.grants, baseline.grantsByResourceType, exemptResourceTypeIds),
    after: checkedTotal(current.grants, current.grantsByResourceType, exemptResourceTypeIds),
  });

  const drops: CountDrop[] = [];
  for (const { what, before, after, limits } of comparisons) {
    if (after >= before || before === 0) continue;
    const fall = before - after;
    const percent = (fall / before) * 100;
    const overThreshold = percent >= limits.thresholdPercent && fall >= limits.minRows;
    const vanished = after === 0 && before >= NON_TRIVIAL;
    if (overThreshold || vanished) {
      const rule = overThreshold ? "THRESHOLD" : "VANISHED";
      drops.push({ what, before, after, percent, rule, limits: { ...limits } });
    }
  }
  const wasEmpty = total(baseline) === 0;
  const isEmpty = total(current) === 0;
  if (drops.length === 0 && isEmpty && !wasEmpty) {
    drops.push({
      what: "all data",
      before: total(baseline),
      after: 0,
      percent: 100,
      rule: "EMPTIED",
      limits: { thresholdPercent: policy.thresholdPercent, minRows: policy.minRows },
    });
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
