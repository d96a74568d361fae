// The domain rules every store backend compiles into its statements, so that a claim or a
// state change done in one SQL statement follows the same rules as the domain functions:
// - lifecycle guards: the states a row may leave come from the domain's state machines
//   (domain/syncs.ts, domain/provisioning.ts), so a backend cannot move a sync or a task along an
//   edge the domain does not have: a move the domain forbids is a programming error and throws
//   before any SQL runs; a row that is no longer in an allowed state (a race) is simply not
//   changed, and the method says so;
// - holds: which hold kinds keep which syncs from being claimed or queued (domain/holds.ts);
// - catalogs: which connectors can run without a config (domain/catalog.ts).

import { CATALOG_IDS, configRequired } from "../domain/catalog.js";
import { claimBlocked, HOLD_KINDS, type HoldKind, scheduleMayEnqueue } from "../domain/holds.js";
import {
  canTaskTransition,
  PROVISIONING_HOLD_KINDS,
  type TaskState,
} from "../domain/provisioning.js";
import { canTransition, SYNC_TRIGGERS, type SyncState } from "../domain/syncs.js";

function checked<S extends string>(
  what: string,
  allowed: (from: S, to: S) => boolean,
  from: readonly S[],
  to: S,
): readonly S[] {
  for (const state of from) {
    if (!allowed(state, to)) throw new Error(`${what} ${state} → ${to} is not a lifecycle edge`);
  }
  return from;
}

/** The states a sync may be moved out of by this update; throws if the domain forbids a move. */
export const syncMoveFrom = (from: readonly SyncState[], to: SyncState): readonly SyncState[] =>
  checked("sync", canTransition, from, to);

/** The states a task may be moved out of by this update; throws if the domain forbids a move. */
export const taskMoveFrom = (from: readonly TaskState[], to: TaskState): readonly TaskState[] =>
  checked("provisioning task", canTaskTransition, from, to);

/** Constant strings (states, hold kinds, catalog ids) as an SQL literal list, fixed at load time. */
export const sqlList = (values: readonly string[]): string =>
  values.map((value) => `'${value.replace(/'/g, "''")}'`).join(", ");

const hold = (kind: HoldKind) => [{ kind, createdAt: 0, actor: "", note: "" }];

/** "<hold kind> <trigger>" for every hold kind that keeps a queued sync of that trigger back. */
export const CLAIM_BLOCKING_HOLDS: readonly string[] = HOLD_KINDS.flatMap((kind) =>
  SYNC_TRIGGERS.filter((trigger) => claimBlocked(hold(kind), trigger)).map(
    (trigger) => `${kind} ${trigger}`,
  ),
);

/** Hold kinds that keep a schedule from queueing a sync. */
export const SCHEDULE_BLOCKING_HOLDS: readonly HoldKind[] = HOLD_KINDS.filter(
  (kind) => !scheduleMayEnqueue(hold(kind)),
);

/** Hold kinds that keep provisioning tasks from starting. */
export const TASK_BLOCKING_HOLDS: readonly HoldKind[] = PROVISIONING_HOLD_KINDS;

/** Catalogs whose connectors run without a config (the others need one first). */
export const RUNNABLE_WITHOUT_CONFIG: readonly string[] = CATALOG_IDS.filter(
  (catalog) => !configRequired(catalog),
);
