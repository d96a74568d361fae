// The lifecycle guards every store backend puts in its UPDATE statements. The states a row may
// leave come from the domain's state machines (domain/syncs.ts, domain/provisioning.ts), so a
// backend cannot move a sync or a task along an edge the domain does not have: a move the domain
// forbids is a programming error and throws before any SQL runs; a row that is no longer in an
// allowed state (a race) is simply not changed, and the method says so.

import { type TaskState, canTaskTransition } from "../domain/provisioning.js";
import { type SyncState, canTransition } from "../domain/syncs.js";

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

/** A constant list of states as an SQL literal list, for guards fixed at load time. */
export const sqlStates = (states: readonly string[]): string =>
  states.map((state) => `'${state.replace(/'/g, "''")}'`).join(", ");
