// Events for webhook subscribers (domain/webhooks.ts), written by the transaction that caused
// them: the outbox rows commit or roll back with the change.

import type { WebhookEvent } from "../domain/webhooks.js";
import { newId } from "../runtime.js";
import type { StoreReader, StoreTx } from "../store/store.js";
import type { Runtime } from "./context.js";

/** Writes the event's deliveries in `tx`; returns how many subscriptions get it. */
export function emitEvent(
  tx: StoreTx,
  runtime: Runtime,
  now: number,
  event: Omit<WebhookEvent, "id" | "occurredAt">,
): Promise<number> {
  return tx.emitWebhookEvent({ ...event, id: newId(runtime.clock), occurredAt: now }, now);
}

/** How many of the connector's latest finished syncs ended ERRORED in a row (newest first). */
export async function failuresInARow(reader: StoreReader, connectorId: string): Promise<number> {
  const recent = await reader.listSyncs(connectorId, {
    states: ["SUCCEEDED", "ERRORED", "ERRORED_NO_DATA", "CONFIRMED"],
    pageSize: 100,
    after: null,
  });
  let streak = 0;
  for (const sync of recent.items) {
    if (sync.state !== "ERRORED") break;
    streak++;
  }
  return streak;
}

/** A sync ended ERRORED: sync.errored, and connector.failing with the streak it makes. */
export async function emitSyncErrored(
  tx: StoreTx,
  runtime: Runtime,
  now: number,
  sync: {
    readonly id: string;
    readonly appId: string;
    readonly connectorId: string;
    readonly attempt: number;
  },
  error: string,
): Promise<void> {
  const about = { appId: sync.appId, connectorId: sync.connectorId };
  await emitEvent(tx, runtime, now, {
    ...about,
    type: "sync.errored",
    data: { syncId: sync.id, error, attempt: sync.attempt },
  });
  const streak = await failuresInARow(tx, sync.connectorId);
  await emitEvent(tx, runtime, now, {
    ...about,
    type: "connector.failing",
    data: { syncId: sync.id, consecutiveFailures: streak, lastError: error },
    consecutiveFailures: streak,
  });
}
