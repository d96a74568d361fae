// Sync lifecycle: the states a requested sync moves through, the triggers that request one, and
// the coalescing rule that decides whether a request adds a queue entry.

export const SYNC_STATES = [
  "QUEUED",
  "RUNNING",
  "SUCCEEDED",
  "ERRORED",
  "ERRORED_NO_DATA",
  "CONFIRMED",
  "SUPERSEDED",
  "CANCELED",
] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export const SYNC_TRIGGERS = [
  "SCHEDULE",
  "FORCE",
  "RESUME",
  "CONFIRM",
  "INITIAL",
  // queued after a successful provisioning task, so the inventory shows its effect
  "PROVISION",
] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];

/** States a sync can be in after it ran to an end (canceled syncs never ran). */
export const FINISHED_STATES: readonly SyncState[] = [
  "SUCCEEDED",
  "ERRORED",
  "ERRORED_NO_DATA",
  "CONFIRMED",
  "SUPERSEDED",
];

const TRANSITIONS: Record<SyncState, readonly SyncState[]> = {
  QUEUED: ["RUNNING", "CANCELED"],
  // RUNNING → QUEUED is a retry after a lost lease or a retryable failure.
  RUNNING: ["SUCCEEDED", "ERRORED", "ERRORED_NO_DATA", "CANCELED", "QUEUED"],
  SUCCEEDED: ["SUPERSEDED"],
  ERRORED: [],
  ERRORED_NO_DATA: ["CONFIRMED", "SUPERSEDED"],
  CONFIRMED: ["SUPERSEDED"],
  SUPERSEDED: [],
  CANCELED: [],
};

export const canTransition = (from: SyncState, to: SyncState): boolean =>
  TRANSITIONS[from].includes(to);

export const isSyncState = (value: string): value is SyncState =>
  (SYNC_STATES as readonly string[]).includes(value);

export const isSyncTrigger = (value: string): value is SyncTrigger =>
  (SYNC_TRIGGERS as readonly string[]).includes(value);

/** What the connector's queue looks like when a new sync is requested. */
export interface QueueSnapshot {
  readonly queued: number;
  readonly running: number;
}

/**
 * Coalescing: a request never adds a second queued sync. While one is queued the request is
 * absorbed by it; while one runs (and none is queued) exactly one follow-up is queued, so that
 * changes made during the running sync are picked up.
 */
export function shouldEnqueue(queue: QueueSnapshot): boolean {
  return queue.queued === 0;
}

/** What happens to a RUNNING sync whose worker stopped renewing its lease. */
export type LostLeaseOutcome =
  | { readonly kind: "requeue" }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "coalesced"; readonly message: string };

/**
 * A lost lease (the worker died or hung) is retried like a retryable failure: queued again
 * until `maxAttempts` claims have been made, then ERRORED. If another sync of the connector is
 * already queued, that sync does the work and this one ends CANCELED.
 */
export function onLostLease(
  attempt: number,
  maxAttempts: number,
  anotherQueued: boolean,
): LostLeaseOutcome {
  if (anotherQueued) {
    return {
      kind: "coalesced",
      message: "the worker running this sync stopped; the sync queued after it takes over",
    };
  }
  if (attempt >= maxAttempts) {
    return {
      kind: "error",
      message: `the worker running this sync stopped, ${attempt} times; giving up`,
    };
  }
  return { kind: "requeue" };
}
