// Holds: reasons a connector must not start syncs or provisioning. They stack; each kind is
// cleared only by its own action (ResumeSync clears PAUSED, ConfirmSyncValid or a recovered
// sync clears DATA_DROP).

export const HOLD_KINDS = ["PAUSED", "DATA_DROP"] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];

export interface Hold {
  readonly kind: HoldKind;
  readonly createdAt: number;
  readonly actor: string;
  readonly note: string;
  /** A timed pause ends by itself at this instant (domain/pause.ts); null: until lifted. */
  readonly until?: number | null;
}

export const hasHold = (holds: readonly Hold[], kind: HoldKind): boolean =>
  holds.some((hold) => hold.kind === kind);

/**
 * Whether a scheduled fire may enqueue a sync. Any hold blocks the schedule: a paused connector
 * does nothing, and a connector held for a data drop waits for a person (ForceSync may still
 * re-check it).
 */
export const scheduleMayEnqueue = (holds: readonly Hold[]): boolean => holds.length === 0;

/** ForceSync is refused only by a manual pause; under a DATA_DROP hold it re-checks the source. */
export const forceSyncBlockedBy = (holds: readonly Hold[]): Hold | undefined =>
  holds.find((hold) => hold.kind === "PAUSED");

/**
 * Whether a hold keeps a queued sync from being started: a pause blocks everything; a DATA_DROP
 * hold blocks scheduled syncs but lets the ones a person asked for (FORCE, RESUME, CONFIRM) run.
 */
export const claimBlocked = (holds: readonly Hold[], trigger: string): boolean =>
  holds.some(
    (hold) => hold.kind === "PAUSED" || (hold.kind === "DATA_DROP" && trigger === "SCHEDULE"),
  );
