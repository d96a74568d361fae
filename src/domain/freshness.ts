// Freshness targets: instead of a cron, "the applied data is never older than maxAge". Data is as
// old as the start of the sync that read it, so the next sync must be applied before
// appliedSync.startedAt + maxAge: it is planned to start
//
//   appliedStartedAt + maxAge − expected − headroom − spread
//
// where `expected` is the longest of the connector's last five successful syncs (a first sync is
// assumed to take DEFAULT_EXPECTED_MS), `headroom` covers queue wait and variance (10% of maxAge,
// 1–30 minutes), and `spread` (0 to min(10% of maxAge, 15 minutes), from the connector's id) keeps
// connectors with the same target from starting together. When a sync is applied the plan is
// made again from its start; when a planned sync does not get applied (it failed, or was held),
// the scheduler tries again after `recheck`. A target the connector's syncs are too slow for is
// kept but reported at risk: syncs then run back to back, a period of MIN_PERIOD_MS apart.

import { invalidArgument } from "./errors.js";
import { stableHash } from "./ids.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The shortest target: a connector wanting fresher data wants a sync loop, not a schedule. */
export const MIN_MAX_AGE_MS = 15 * MINUTE;
/** The longest target. */
export const MAX_MAX_AGE_MS = 31 * DAY;
/** How long a connector with no successful sync yet is assumed to take. */
export const DEFAULT_EXPECTED_MS = 5 * MINUTE;
/** Planned syncs are never closer together than this. */
export const MIN_PERIOD_MS = MINUTE;
/** Successful syncs the estimate looks at. */
export const RECENT_SYNCS = 5;

/** maxAge on the wire: whole numbers with units d, h, m, s, largest first ("2h", "1h30m"). */
export const MAX_AGE_PATTERN = "^([0-9]{1,6}d)?([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?$";
const DURATION = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

export interface FreshnessTarget {
  readonly maxAgeMs: number;
}

/** Checks a target from the wire; throws INVALID_ARGUMENT naming the field and the limits. */
export function parseFreshness(input: { maxAge?: unknown }): FreshnessTarget {
  const text = typeof input.maxAge === "string" ? input.maxAge.trim() : "";
  const match = DURATION.exec(text);
  if (!match || text === "") {
    throw invalidArgument(
      `freshness.maxAge: ${JSON.stringify(String(input.maxAge ?? "").slice(0, 64))} is not a duration (e.g. 2h, 1h30m, 1d)`,
    );
  }
  const [d, h, m, s] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  const maxAgeMs = d * DAY + h * HOUR + m * MINUTE + s * 1000;
  if (maxAgeMs < MIN_MAX_AGE_MS || maxAgeMs > MAX_MAX_AGE_MS) {
    throw invalidArgument(
      `freshness.maxAge must be from ${formatDuration(MIN_MAX_AGE_MS)} to ${formatDuration(MAX_MAX_AGE_MS)}, got ${formatDuration(maxAgeMs)}`,
    );
  }
  return { maxAgeMs };
}

/** A duration the way the API writes it: "2h", "1h30m", "31d", "45s"; whole seconds. */
export function formatDuration(ms: number): string {
  let left = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, seconds] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(left / seconds);
    if (n > 0) parts.push(`${n}${unit}`);
    left -= n * seconds;
  }
  return parts.length > 0 ? parts.join("") : "0s";
}

export interface FreshnessInput {
  readonly connectorId: string;
  readonly maxAgeMs: number;
  /** When the applied sync started reading (null: no data yet). */
  readonly appliedStartedAt: number | null;
  /** Durations of the connector's latest successful syncs, newest first. */
  readonly recentDurationsMs: readonly number[];
  readonly now: number;
}

export interface FreshnessPlan {
  /** When the next sync should start (now when it is already late). */
  readonly nextStartAt: number;
  /** The estimate the plan used. */
  readonly expectedMs: number;
  /** Planned syncs' spacing while every sync takes the estimate. */
  readonly periodMs: number;
  /** The target cannot be kept: the syncs take too long for it. */
  readonly atRisk: boolean;
}

/** Longest of the recent successful syncs, or the default before there is one. */
export function expectedDuration(recentDurationsMs: readonly number[]): number {
  const recent = recentDurationsMs.slice(0, RECENT_SYNCS).filter((ms) => ms >= 0);
  return recent.length > 0 ? Math.max(...recent) : DEFAULT_EXPECTED_MS;
}

const headroom = (maxAgeMs: number) => Math.min(30 * MINUTE, Math.max(MINUTE, maxAgeMs / 10));
const spread = (connectorId: string, maxAgeMs: number) =>
  stableHash(`freshness:${connectorId}`) % (Math.min(15 * MINUTE, maxAgeMs / 10) + 1);

export function planFreshness(input: FreshnessInput): FreshnessPlan {
  const expectedMs = expectedDuration(input.recentDurationsMs);
  const slack =
    input.maxAgeMs -
    expectedMs -
    headroom(input.maxAgeMs) -
    spread(input.connectorId, input.maxAgeMs);
  const periodMs = Math.max(MIN_PERIOD_MS, Math.floor(slack));
  const nextStartAt =
    input.appliedStartedAt === null
      ? input.now
      : Math.max(input.now, input.appliedStartedAt + periodMs);
  return { nextStartAt, expectedMs, periodMs, atRisk: slack < MIN_PERIOD_MS };
}

/**
 * When the scheduler looks again after firing a planned sync, in case that sync does not get
 * applied (applying it plans again): once the sync should have ended, at least 5 minutes on.
 */
export function recheckAfter(maxAgeMs: number, expectedMs: number | null): number {
  return Math.max(
    5 * MINUTE,
    Math.min(maxAgeMs, (expectedMs ?? DEFAULT_EXPECTED_MS) + headroom(maxAgeMs)),
  );
}

/** The next `count` planned starts, if every sync took the estimate and was applied. */
export function previewFreshness(plan: FreshnessPlan, count: number): number[] {
  return Array.from({ length: count }, (_, i) => plan.nextStartAt + i * plan.periodMs);
}
