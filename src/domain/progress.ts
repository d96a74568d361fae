// A running sync's progress: which phase it is in, what the connector last said, and how far
// along it probably is. A connector does not say how much is left (baton writes no totals before
// it ends), so "how far" is an estimate from the connector's own recent successful syncs, shown
// as such, never as a count.

export const SYNC_PHASES = ["CONNECTOR", "STORING"] as const;
/** CONNECTOR: the connector is reading the system; STORING: its data is stored and checked. */
export type SyncPhase = (typeof SYNC_PHASES)[number];

/** What the worker running a sync last reported (written with its lease renewal). */
export interface SyncProgress {
  /** The attempt it describes: a retried sync's old progress is not shown as the new one's. */
  readonly attempt: number;
  readonly phase: SyncPhase;
  /** The connector's latest informational log message, or syncplane's note on the phase. */
  readonly message: string;
  readonly at: number;
}

/** The longest message kept (the log has the whole line). */
export const PROGRESS_MESSAGE_CHARS = 200;

export const progressMessage = (message: string): string => {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > PROGRESS_MESSAGE_CHARS
    ? `${line.slice(0, PROGRESS_MESSAGE_CHARS - 1)}…`
    : line;
};

/** Log levels whose message describes what the connector is doing (not debug chatter). */
export const isProgressLevel = (level: string): boolean =>
  level === "info" || level === "warn" || level === "warning";

export interface ProgressEstimate {
  readonly elapsedMs: number;
  /** The median of the recent successful syncs' durations; null without any. */
  readonly typicalMs: number | null;
  /** elapsed / typical, kept below 1 while running (it is not done until it ends); null: unknown. */
  readonly fraction: number | null;
  /** Running longer than the typical sync. */
  readonly overdue: boolean;
}

/** The estimate never claims more than this while the sync runs. */
export const MAX_RUNNING_FRACTION = 0.99;

export function estimateProgress(
  startedAt: number,
  now: number,
  recentDurationsMs: readonly number[],
): ProgressEstimate {
  const elapsedMs = Math.max(0, now - startedAt);
  const durations = recentDurationsMs.filter((ms) => Number.isFinite(ms) && ms >= 0);
  if (durations.length === 0) return { elapsedMs, typicalMs: null, fraction: null, overdue: false };
  const sorted = [...durations].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const typicalMs =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : Math.round(((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2);
  if (typicalMs === 0) {
    return { elapsedMs, typicalMs, fraction: MAX_RUNNING_FRACTION, overdue: elapsedMs > 0 };
  }
  return {
    elapsedMs,
    typicalMs,
    fraction: Math.min(MAX_RUNNING_FRACTION, elapsedMs / typicalMs),
    overdue: elapsedMs > typicalMs,
  };
}
