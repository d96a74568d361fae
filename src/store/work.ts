// Work signals: which changes make a sync or a provisioning task claimable, so that a commit
// can wake the claimers (workers on this node, and on every node through LISTEN/NOTIFY on
// PostgreSQL) instead of leaving them to find it at their next poll. Both backends wrap their
// transaction object with withWorkSignals; a signal is a hint, claimers still poll.

import type { ProvisioningTaskRecord } from "../domain/provisioning.js";
import type { StoreTx } from "./store.js";

/** The PostgreSQL channel that carries work signals between nodes. */
export const WORK_CHANNEL = "syncplane_work";

/** For each method that can make work claimable: whether this call's result did. */
const MADE_WORK = {
  insertSync: () => true,
  fireSchedules: (queued: readonly string[]) => queued.length > 0,
  requeueSync: (moved: boolean) => moved,
  // A finished sync or task frees its connector for the next one.
  finishSync: (moved: boolean) => moved,
  finishProvisioningTask: (moved: boolean) => moved,
  releaseHeldTasks: (released: readonly string[]) => released.length > 0,
  insertProvisioningTask: (task: ProvisioningTaskRecord) => task.state === "QUEUED",
  // A hold that goes (ResumeSync, ConfirmSyncValid) releases what it kept back.
  deleteHold: (deleted: boolean) => deleted,
} satisfies { [K in keyof StoreTx]?: (result: Awaited<ReturnType<StoreTx[K]>>) => boolean };

/** `tx` with `signal` called after each call that made work claimable. */
export function withWorkSignals(tx: StoreTx, signal: () => void): StoreTx {
  const wrapped: Record<string, unknown> = { ...tx };
  for (const [name, madeWork] of Object.entries(MADE_WORK)) {
    const method = tx[name as keyof StoreTx] as (...args: unknown[]) => Promise<unknown>;
    const check = madeWork as (result: unknown) => boolean;
    wrapped[name] = async (...args: unknown[]) => {
      const result = await method(...args);
      if (check(result)) signal();
      return result;
    };
  }
  return wrapped as unknown as StoreTx;
}

/** Listeners for work signals on one node. */
export class WorkListeners {
  private readonly listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the others still hear.
      }
    }
  }
}
