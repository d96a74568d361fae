// Webhook subscriptions: create (the signing secret is shown once), delete, and a test delivery.

import { notFound } from "../domain/errors.js";
import { checkLength } from "../domain/limits.js";
import { newWebhookSecret } from "../auth/webhook-signing.js";
import { parseWebhook, type WebhookInput, type WebhookRecord } from "../domain/webhooks.js";
import { newId } from "../runtime.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { requireApp } from "./lookups.js";

export async function createWebhook(
  runtime: Runtime,
  actor: Actor,
  input: WebhookInput,
): Promise<{ webhook: WebhookRecord; secret: string }> {
  const parsed = parseWebhook(input);
  if (parsed.appId !== null) await requireApp(runtime.store, parsed.appId);
  const secret = newWebhookSecret();
  return runtime.store.transaction(async (tx) => {
    const now = runtime.clock.now();
    const webhook: WebhookRecord = {
      id: newId(runtime.clock),
      ...parsed,
      secret,
      createdBy: actor.name,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insertWebhook(webhook);
    await audit(tx, runtime, actor, now, {
      action: "webhook.create",
      objectType: "webhook",
      objectId: webhook.id,
      details: { url: webhook.url, eventTypes: webhook.eventTypes, appId: webhook.appId },
    });
    return { webhook, secret };
  });
}

export async function requireWebhook(runtime: Runtime, id: string): Promise<WebhookRecord> {
  checkLength("webhook_id", id, "id");
  const webhook = await runtime.store.getWebhook(id);
  if (!webhook) throw notFound(`webhook "${id}" not found`);
  return webhook;
}

export async function deleteWebhook(runtime: Runtime, actor: Actor, id: string): Promise<void> {
  checkLength("webhook_id", id, "id");
  await runtime.store.transaction(async (tx) => {
    const now = runtime.clock.now();
    if (!(await tx.deleteWebhook(id, now))) throw notFound(`webhook "${id}" not found`);
    await audit(tx, runtime, actor, now, {
      action: "webhook.delete",
      objectType: "webhook",
      objectId: id,
    });
  });
}

/** Queues a `webhook.test` delivery to this subscription only; returns the delivery's id. */
export async function testWebhook(runtime: Runtime, actor: Actor, id: string): Promise<string> {
  const webhook = await requireWebhook(runtime, id);
  return runtime.store.transaction(async (tx) => {
    const now = runtime.clock.now();
    return tx.queueDelivery(
      webhook.id,
      {
        id: newId(runtime.clock),
        type: "webhook.test",
        occurredAt: now,
        appId: "",
        connectorId: "",
        data: { message: "a test delivery from syncplane", requestedBy: actor.name },
      },
      now,
    );
  });
}
