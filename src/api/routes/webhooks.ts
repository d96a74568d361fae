// Webhook subscriptions (domain/webhooks.ts): create, list, read, delete, send a test, and the
// deliveries with each attempt's outcome.

import type { FastifyInstance } from "fastify";
import {
  createWebhook,
  deleteWebhook,
  requireWebhook,
  testWebhook,
} from "../../commands/webhooks.js";
import { notFound } from "../../domain/errors.js";
import { parsePageRequest } from "../../domain/pagination.js";
import {
  DELIVERY_STATES,
  type DeliveryRecord,
  type DeliveryState,
  type WebhookRecord,
} from "../../domain/webhooks.js";
import { PageQuery, PageSize, PageToken } from "../contracts/common.js";
import type { CreateWebhookRequest } from "../contracts/webhooks.js";
import { actorOf, addRoute, pathParams, type ApiContext } from "../http.js";
import { pageJson, timestamp } from "../wire.js";

const TAGS = ["Webhook"];
const BASE = "/api/v1/webhooks";

export const webhookJson = (webhook: WebhookRecord) => ({
  id: webhook.id,
  url: webhook.url,
  eventTypes: [...webhook.eventTypes],
  appId: webhook.appId ?? undefined,
  failureThreshold: webhook.failureThreshold,
  description: webhook.description || undefined,
  createdBy: webhook.createdBy,
  createdAt: timestamp(webhook.createdAt) as string,
  updatedAt: timestamp(webhook.updatedAt) as string,
});

export const deliveryJson = (delivery: DeliveryRecord) => ({
  id: delivery.id,
  webhookId: delivery.webhookId,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  state: delivery.state,
  attempts: delivery.attempts,
  nextAttemptAt: delivery.state === "PENDING" ? timestamp(delivery.nextAttemptAt) : undefined,
  lastStatus: delivery.lastStatus ?? undefined,
  lastError: delivery.lastError || undefined,
  createdAt: timestamp(delivery.createdAt) as string,
  finishedAt: timestamp(delivery.finishedAt),
  event: JSON.parse(delivery.payload) as Record<string, unknown>,
});

export function webhookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { runtime } = ctx;
  const params = pathParams("webhook_id");

  addRoute(app, {
    method: "GET",
    url: BASE,
    operationId: "syncplane.v1.WebhookService.List",
    summary: "List webhook subscriptions",
    tags: TAGS,
    permission: "webhooks.read",
    querystring: PageQuery,
    response: { $ref: "syncplane.v1.ListWebhooksResponse#" },
    handler: async (request) => {
      const query = request.query as { page_size?: string; page_token?: string };
      const page = await runtime.store.listWebhooks(
        parsePageRequest(query.page_size, query.page_token),
      );
      return pageJson(page, webhookJson);
    },
  });

  addRoute(app, {
    method: "POST",
    url: BASE,
    operationId: "syncplane.v1.WebhookService.Create",
    summary: "Subscribe a URL to events; the response carries the signing secret, once",
    tags: TAGS,
    permission: "webhooks.manage",
    // 404: the appId names no app.
    errors: [404],
    body: { $ref: "syncplane.v1.CreateWebhookRequest#" },
    response: { $ref: "syncplane.v1.CreateWebhookResponse#" },
    handler: async (request) => {
      const body = request.body as CreateWebhookRequest;
      const { webhook, secret } = await createWebhook(runtime, actorOf(request), {
        url: body.url,
        eventTypes: body.eventTypes,
        appId: body.appId,
        failureThreshold: body.failureThreshold,
        description: body.description,
      });
      return { webhook: webhookJson(webhook), secret };
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/:webhook_id`,
    operationId: "syncplane.v1.WebhookService.Get",
    summary: "Read one webhook subscription",
    tags: TAGS,
    permission: "webhooks.read",
    params,
    response: { $ref: "syncplane.v1.GetWebhookResponse#" },
    handler: async (request) => {
      const { webhook_id } = request.params as { webhook_id: string };
      return { webhook: webhookJson(await requireWebhook(runtime, webhook_id)) };
    },
  });

  addRoute(app, {
    method: "DELETE",
    url: `${BASE}/:webhook_id`,
    operationId: "syncplane.v1.WebhookService.Delete",
    summary: "Delete a webhook subscription; its pending deliveries fail",
    tags: TAGS,
    permission: "webhooks.manage",
    params,
    response: { type: "object", additionalProperties: false, properties: {} },
    handler: async (request) => {
      const { webhook_id } = request.params as { webhook_id: string };
      await deleteWebhook(runtime, actorOf(request), webhook_id);
      return {};
    },
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/:webhook_id/test`,
    operationId: "syncplane.v1.WebhookService.Test",
    summary: "Queue a webhook.test delivery to this subscription",
    tags: TAGS,
    permission: "webhooks.manage",
    params,
    response: { $ref: "syncplane.v1.TestWebhookResponse#" },
    handler: async (request) => {
      const { webhook_id } = request.params as { webhook_id: string };
      const id = await testWebhook(runtime, actorOf(request), webhook_id);
      const page = await runtime.store.listDeliveries(webhook_id, [], {
        pageSize: 20,
        after: null,
      });
      const delivery = page.items.find((item) => item.id === id);
      if (!delivery) throw notFound(`delivery "${id}" not found`);
      return { delivery: deliveryJson(delivery) };
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/:webhook_id/deliveries`,
    operationId: "syncplane.v1.WebhookService.ListDeliveries",
    summary: "A subscription's deliveries, newest first, with each one's last attempt",
    tags: TAGS,
    permission: "webhooks.read",
    params,
    querystring: {
      type: "object",
      properties: {
        state: {
          type: "string",
          pattern: `^(${DELIVERY_STATES.join("|")})?$`,
          description: `Only deliveries in this state: ${DELIVERY_STATES.join(", ")}.`,
        },
        page_size: PageSize,
        page_token: PageToken,
      },
      additionalProperties: false,
    },
    response: { $ref: "syncplane.v1.ListWebhookDeliveriesResponse#" },
    handler: async (request) => {
      const { webhook_id } = request.params as { webhook_id: string };
      const query = request.query as { state?: string; page_size?: string; page_token?: string };
      await requireWebhook(runtime, webhook_id);
      const states = query.state ? [query.state as DeliveryState] : [];
      const page = await runtime.store.listDeliveries(
        webhook_id,
        states,
        parsePageRequest(query.page_size, query.page_token),
      );
      return pageJson(page, deliveryJson);
    },
  });
}
