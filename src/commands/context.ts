// What every command receives besides its input: who asks, under which request id, and the
// runtime (store, clock) it works with.

import type { Clock } from "../runtime.js";
import { newId } from "../runtime.js";
import type { Store, StoreTx } from "../store/store.js";

export interface Runtime {
  readonly store: Store;
  readonly clock: Clock;
}

export interface Actor {
  /** The caller's client id, or "system" for the engine. */
  readonly name: string;
  readonly requestId: string;
}

export interface AuditEntry {
  readonly action: string;
  readonly objectType:
    "app" | "connector" | "sync" | "credential" | "provisioning_task" | "webhook";
  readonly objectId: string;
  readonly details?: Record<string, unknown>;
}

/** Every mutation records who did what, in the same transaction as the change. */
export async function audit(
  tx: StoreTx,
  runtime: Runtime,
  actor: Actor,
  now: number,
  entry: AuditEntry,
): Promise<void> {
  await tx.insertAuditEvent({
    id: newId(runtime.clock),
    at: now,
    actor: actor.name,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId,
    requestId: actor.requestId,
    details: entry.details ?? {},
  });
}
