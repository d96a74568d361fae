// Webhook subscriptions and their deliveries (syncplane's own API; domain/webhooks.ts).

import { Type } from "typebox";
import {
  DELIVERY_STATES,
  MAX_FAILURE_THRESHOLD,
  WEBHOOK_EVENT_TYPES,
} from "../../domain/webhooks.js";
import { LIMITS } from "../../domain/limits.js";
import { FreeObject, Nullable, Text, Timestamp, ref } from "./common.js";

const EventType = Type.Unsafe<string>({ type: "string", enum: [...WEBHOOK_EVENT_TYPES] });

export const Webhook = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    eventTypes: Type.Array(Type.String()),
    appId: Type.Optional(Type.String()),
    failureThreshold: Type.Integer(),
    description: Type.Optional(Type.String()),
    createdBy: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: "syncplane.v1.Webhook", title: "Webhook" },
);
export interface Webhook {
  id: string;
  url: string;
  eventTypes: string[];
  appId?: string;
  failureThreshold: number;
  description?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export const CreateWebhookRequest = Type.Object(
  {
    url: Type.String({
      minLength: 8,
      maxLength: LIMITS.url,
      pattern: "^[hH][tT][tT][pP][sS]?://[^\\s/@]+(/\\S*)?$",
      description: "Where deliveries are POSTed: an http or https URL without a user or password.",
    }),
    eventTypes: Type.Array(EventType, {
      minItems: 1,
      maxItems: WEBHOOK_EVENT_TYPES.length,
      description: `The events to deliver: ${WEBHOOK_EVENT_TYPES.join(", ")}.`,
    }),
    appId: Type.Optional(
      Nullable(Text("id", { description: "Only this app's events (default: every app's)." })),
    ),
    failureThreshold: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 0,
          maximum: MAX_FAILURE_THRESHOLD,
          description:
            "connector.failing is sent when this many syncs in a row have failed (0 or absent: 3).",
        }),
      ),
    ),
    description: Type.Optional(Nullable(Text("description"))),
  },
  {
    $id: "syncplane.v1.CreateWebhookRequest",
    title: "Create Webhook Request",
    additionalProperties: false,
  },
);
export interface CreateWebhookRequest {
  url: string;
  eventTypes: string[];
  appId?: string | null;
  failureThreshold?: number | null;
  description?: string | null;
}

export const CreateWebhookResponse = Type.Object(
  {
    webhook: ref("syncplane.v1.Webhook"),
    secret: Type.String({
      description:
        "The signing secret (whsec_…), shown only here: deliveries carry webhook-signature computed with it (Standard Webhooks).",
    }),
  },
  { $id: "syncplane.v1.CreateWebhookResponse", title: "Create Webhook Response" },
);
export interface CreateWebhookResponse {
  webhook: Webhook;
  secret: string;
}

export const GetWebhookResponse = Type.Object(
  { webhook: ref("syncplane.v1.Webhook") },
  { $id: "syncplane.v1.GetWebhookResponse", title: "Get Webhook Response" },
);
export interface GetWebhookResponse {
  webhook: Webhook;
}

export const ListWebhooksResponse = Type.Object(
  { list: Type.Array(ref("syncplane.v1.Webhook")), nextPageToken: Type.Optional(Type.String()) },
  { $id: "syncplane.v1.ListWebhooksResponse", title: "List Webhooks Response" },
);
export interface ListWebhooksResponse {
  list: Webhook[];
  nextPageToken?: string;
}

export const WebhookDelivery = Type.Object(
  {
    id: Type.String(),
    webhookId: Type.String(),
    eventId: Type.String(),
    eventType: Type.String(),
    state: Type.Unsafe<string>({ type: "string", enum: [...DELIVERY_STATES] }),
    attempts: Type.Integer(),
    nextAttemptAt: Type.Optional(Timestamp),
    lastStatus: Type.Optional(Type.Integer()),
    lastError: Type.Optional(Type.String()),
    createdAt: Timestamp,
    finishedAt: Type.Optional(Timestamp),
    /** The delivered body (the same on every attempt). */
    event: FreeObject(),
  },
  { $id: "syncplane.v1.WebhookDelivery", title: "Webhook Delivery" },
);
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  state: "PENDING" | "DELIVERED" | "FAILED";
  attempts: number;
  nextAttemptAt?: string;
  lastStatus?: number;
  lastError?: string;
  createdAt: string;
  finishedAt?: string;
  event: Record<string, unknown>;
}

export const ListDeliveriesResponse = Type.Object(
  {
    list: Type.Array(ref("syncplane.v1.WebhookDelivery")),
    nextPageToken: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.ListWebhookDeliveriesResponse", title: "List Webhook Deliveries Response" },
);
export interface ListDeliveriesResponse {
  list: WebhookDelivery[];
  nextPageToken?: string;
}

export const TestWebhookResponse = Type.Object(
  { delivery: ref("syncplane.v1.WebhookDelivery") },
  { $id: "syncplane.v1.TestWebhookResponse", title: "Test Webhook Response" },
);
export interface TestWebhookResponse {
  delivery: WebhookDelivery;
}
