// Webhooks: subscriptions to events that need someone's attention, delivered as signed POSTs.
//
// An event is written in the same transaction as the change that caused it: one delivery row per
// matching subscription (an outbox), so a commit never loses its notification and a webhook
// receiver that is down never slows the operation. Deliveries follow the Standard Webhooks
// scheme (https://www.standardwebhooks.com): headers `webhook-id` (the event id, the same on every
// retry), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
// (`v1,` + base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` keyed with the secret's bytes; the
// secret is `whsec_` + base64). A receiver checks the signature and refuses old timestamps.
// Failed attempts are retried with backoff for about 11 hours (RETRY_DELAYS_MS), then the
// delivery is FAILED; each attempt's status is recorded.

import { invalidArgument } from "./errors.js";
import { checkLength, quote } from "./limits.js";

export const WEBHOOK_EVENT_TYPES = [
  /** The data-drop guard held a sync in ERRORED_NO_DATA. */
  "sync.held",
  /** A sync ended ERRORED (retries exhausted, or not retryable). */
  "sync.errored",
  /** A connector's syncs failed `failureThreshold` times in a row (sent once per streak). */
  "connector.failing",
  /** A provisioning task failed (or its outcome is unknown). */
  "task.failed",
  /** A service-mode connector stopped polling (sent once until it calls in again). */
  "connector.stopped_polling",
  /** A timed pause ended and the connector resumed by itself. */
  "pause.ended",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | "webhook.test";

export const DELIVERY_STATES = ["PENDING", "DELIVERED", "FAILED"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface WebhookRecord {
  readonly id: string;
  readonly url: string;
  /** whsec_… (kept to sign; shown once, at creation). */
  readonly secret: string;
  readonly eventTypes: readonly WebhookEventType[];
  /** Only this app's events; null: every app's. */
  readonly appId: string | null;
  /** connector.failing is sent when this many syncs in a row have failed. */
  readonly failureThreshold: number;
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface WebhookEvent {
  readonly id: string;
  readonly type: WebhookEventType;
  readonly occurredAt: number;
  readonly appId: string;
  readonly connectorId: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** connector.failing: the failures in a row so far (matched against failureThreshold). */
  readonly consecutiveFailures?: number;
}

export interface DeliveryRecord {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: WebhookEventType;
  /** The JSON body, fixed when the event happened. */
  readonly payload: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  /** PENDING: when the next attempt is due (a claimed one: when its lease ends). */
  readonly nextAttemptAt: number | null;
  /** The last attempt's HTTP status (null: no answer). */
  readonly lastStatus: number | null;
  readonly lastError: string;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

export const MIN_FAILURE_THRESHOLD = 1;
export const MAX_FAILURE_THRESHOLD = 100;
export const DEFAULT_FAILURE_THRESHOLD = 3;

/**
 * Waits after the 1st, 2nd, … failed attempt: 10 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h
 * (about 10 h 43 min in all); after the 9th failed attempt the delivery is FAILED.
 */
export const RETRY_DELAYS_MS = [
  10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000,
] as const;

/** When to try again after `attempts` failed attempts (±10% jitter), or null: give up. */
export function retryDelay(attempts: number, random: number): number | null {
  const base = RETRY_DELAYS_MS[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.9 + 0.2 * random));
}

export interface WebhookInput {
  readonly url?: unknown;
  readonly eventTypes?: unknown;
  readonly appId?: unknown;
  readonly failureThreshold?: unknown;
  readonly description?: unknown;
}

export interface ParsedWebhook {
  readonly url: string;
  readonly eventTypes: readonly WebhookEventType[];
  readonly appId: string | null;
  readonly failureThreshold: number;
  readonly description: string;
}

/** Checks a subscription from the wire; throws INVALID_ARGUMENT naming the field. */
export function parseWebhook(input: WebhookInput): ParsedWebhook {
  const url = checkLength("url", typeof input.url === "string" ? input.url.trim() : "", "url");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidArgument(
      `url: ${quote(url)} is not an absolute URL (e.g. https://hooks.example.com/syncplane)`,
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw invalidArgument(
      `url must be http or https, got ${quote(parsed.protocol.replace(/:$/, ""))}`,
    );
  }
  if (parsed.username || parsed.password) {
    throw invalidArgument(
      "url must not carry a user name or password: the signature authenticates syncplane",
    );
  }
  const types = Array.isArray(input.eventTypes) ? input.eventTypes : [];
  if (types.length === 0) {
    throw invalidArgument(`eventTypes must name at least one of ${WEBHOOK_EVENT_TYPES.join(", ")}`);
  }
  for (const type of types) {
    if (!(WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(type)) {
      throw invalidArgument(
        `eventTypes: ${quote(type)} is not an event type; use ${WEBHOOK_EVENT_TYPES.join(", ")}`,
      );
    }
  }
  const threshold =
    input.failureThreshold === undefined ||
    input.failureThreshold === null ||
    input.failureThreshold === 0
      ? DEFAULT_FAILURE_THRESHOLD
      : input.failureThreshold;
  if (
    typeof threshold !== "number" ||
    !Number.isInteger(threshold) ||
    threshold < MIN_FAILURE_THRESHOLD ||
    threshold > MAX_FAILURE_THRESHOLD
  ) {
    throw invalidArgument(
      `failureThreshold must be a whole number from ${MIN_FAILURE_THRESHOLD} to ${MAX_FAILURE_THRESHOLD}, got ${quote(threshold)}`,
    );
  }
  const appId = typeof input.appId === "string" && input.appId !== "" ? input.appId : null;
  if (appId !== null) checkLength("appId", appId, "id");
  const description = checkLength(
    "description",
    typeof input.description === "string" ? input.description : "",
    "description",
  );
  return {
    url: parsed.toString(),
    eventTypes: [...new Set(types as WebhookEventType[])].sort(),
    appId,
    failureThreshold: threshold,
    description,
  };
}

/** The delivered body: the same for every subscriber and every attempt. */
export function eventBody(event: WebhookEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    occurredAt: new Date(event.occurredAt).toISOString(),
    data: {
      ...(event.appId && { appId: event.appId }),
      ...(event.connectorId && { connectorId: event.connectorId }),
      ...event.data,
    },
  });
}
