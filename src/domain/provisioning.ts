// Provisioning tasks: a person's request that a connector grant an entitlement to a principal or
// revoke a grant. Unlike a sync, a task cannot be asked for again for free (somebody is waiting for
// access) and is not idempotent (running a grant twice may not be harmless), so:
//
// - a pause never refuses or drops a task: it is accepted and waits as HELD; ResumeSync releases
//   held tasks in the order they were created;
// - only a pause holds provisioning. A DATA_DROP hold does not: the applied inventory the task was
//   checked against is still the last good one, and the held sync's data is never used for it;
// - a task runs at most once. A task whose runner vanished (lease lost, timeout, shutdown) ends
//   FAILED with "outcome unknown; check and retry", never queued again;
// - tasks of one connector run one at a time, in creation order (FIFO);
// - a sync is not started while the connector has tasks queued or running, so a sync that follows
//   a grant (the PROVISION sync queued after it, or ResumeSync's RESUME sync queued after the
//   released tasks) shows its effect.

import type { Hold, HoldKind } from "./holds.js";
import type { ResourceRef } from "./inventory.js";

export const TASK_KINDS = ["GRANT", "REVOKE"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_STATES = [
  "QUEUED",
  "HELD",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "CANCELED",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const isTaskState = (value: string): value is TaskState =>
  (TASK_STATES as readonly string[]).includes(value);

/** States from which a task may still run: the only ones a cancel or a duplicate request sees. */
export const OPEN_TASK_STATES: readonly TaskState[] = ["QUEUED", "HELD"];

const TRANSITIONS: Record<TaskState, readonly TaskState[]> = {
  QUEUED: ["HELD", "RUNNING", "CANCELED"],
  HELD: ["QUEUED", "CANCELED"],
  // Never back to QUEUED: a task that started may have changed the target system.
  RUNNING: ["SUCCEEDED", "FAILED"],
  SUCCEEDED: [],
  FAILED: [],
  CANCELED: [],
};

export const canTaskTransition = (from: TaskState, to: TaskState): boolean =>
  TRANSITIONS[from].includes(to);

/** The hold kinds that keep provisioning tasks from running: a pause only. */
export const PROVISIONING_HOLD_KINDS: readonly HoldKind[] = ["PAUSED"];

export const provisioningHolds = (holds: readonly Hold[]): Hold[] =>
  holds.filter((hold) => PROVISIONING_HOLD_KINDS.includes(hold.kind));

/** The state a new task starts in. */
export const initialTaskState = (holds: readonly Hold[]): TaskState =>
  provisioningHolds(holds).length > 0 ? "HELD" : "QUEUED";

export interface GrantRequest {
  readonly kind: "GRANT";
  readonly entitlementId: string;
  readonly principal: ResourceRef;
}

export interface RevokeRequest {
  readonly kind: "REVOKE";
  readonly grantId: string;
}

export type TaskRequest = GrantRequest | RevokeRequest;

/**
 * What makes two requests "the same": a request identical to an open (QUEUED or HELD) task
 * returns that task instead of adding a second one. JSON of the ids, so no id can collide with
 * another through a separator.
 */
export function requestKey(request: TaskRequest): string {
  return request.kind === "GRANT"
    ? JSON.stringify([
        "GRANT",
        request.entitlementId,
        request.principal.resourceTypeId,
        request.principal.resourceId,
      ])
    : JSON.stringify(["REVOKE", request.grantId]);
}

/** Why a task that was running ended without an answer from its connector. */
export const taskOutcomeUnknown = (why: string): string =>
  `outcome unknown; check and retry: ${why}`;

export interface ProvisioningTaskRecord {
  readonly id: string;
  readonly appId: string;
  readonly connectorId: string;
  readonly kind: TaskKind;
  readonly state: TaskState;
  /** GRANT: the entitlement and the principal; REVOKE: the grant (and, from the inventory, its parts). */
  readonly entitlementId: string;
  readonly principal: ResourceRef | null;
  readonly grantId: string;
  readonly note: string;
  readonly requestedBy: string;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** The connector's answer on success, e.g. "already exists". */
  readonly result: string;
  readonly error: string;
  /** The runner holding the task while it runs, and until when. */
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: number | null;
}
