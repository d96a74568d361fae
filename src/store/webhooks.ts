// Webhook subscriptions and their deliveries (domain/webhooks.ts), one implementation for both
// backends (portable.ts). An event is fanned out by one INSERT … SELECT over the subscriptions
// that want it, inside the caller's transaction (the outbox). Dispatchers claim due deliveries by
// moving next_attempt_at to the end of their lease (SKIP LOCKED on PostgreSQL), and settle an
// attempt only while the lease is theirs.

import type {
  DeliveryRecord,
  DeliveryState,
  WebhookEvent,
  WebhookEventType,
  WebhookRecord,
} from "../domain/webhooks.js";
import { eventBody } from "../domain/webhooks.js";
import { page, splitKey } from "./paging.js";
import { marks, type Dialect, type PortableSql } from "./portable.js";
import type { Row } from "./rows.js";
import type { Page, PageQuery } from "./store.js";

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

const webhookFromRow = (row: Row, eventTypes: readonly WebhookEventType[]): WebhookRecord => ({
  id: String(row.id),
  url: String(row.url),
  secret: String(row.secret),
  eventTypes,
  appId: row.app_id === null || row.app_id === undefined ? null : String(row.app_id),
  failureThreshold: num(row.failure_threshold),
  description: String(row.description ?? ""),
  createdBy: String(row.created_by),
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
});

export const deliveryFromRow = (row: Row): DeliveryRecord => ({
  id: String(row.id),
  webhookId: String(row.webhook_id),
  eventId: String(row.event_id),
  eventType: String(row.event_type) as WebhookEventType,
  payload: String(row.payload),
  state: String(row.state) as DeliveryState,
  attempts: num(row.attempts),
  nextAttemptAt: numOrNull(row.next_attempt_at),
  lastStatus: numOrNull(row.last_status),
  lastError: String(row.last_error ?? ""),
  createdAt: num(row.created_at),
  finishedAt: numOrNull(row.finished_at),
});

/** A claimed delivery with where and how to send it. */
export interface ClaimedDelivery {
  readonly delivery: DeliveryRecord;
  readonly url: string;
  readonly secret: string;
  /** The subscription was deleted after the event: the delivery is given up. */
  readonly webhookDeleted: boolean;
}

export interface DeliveryOutcome {
  readonly state: DeliveryState;
  /** PENDING: when to try again. */
  readonly nextAttemptAt: number | null;
  readonly status: number | null;
  readonly error: string;
  readonly at: number;
}

/** A service-mode connector that has not called in for longer than its polls allow. */
export interface SilentConnector {
  readonly connectorId: string;
  readonly appId: string;
  readonly hostId: string;
  readonly lastSeenAt: number;
}

export const webhookReads = (q: PortableSql, dialect: Dialect) => {
  const sql = dialect.placeholders;
  const typesOf = async (ids: readonly string[]) => {
    const types = new Map<string, WebhookEventType[]>();
    if (ids.length === 0) return types;
    const rows = await q.all(
      sql(`SELECT webhook_id, event_type FROM webhook_event_types
            WHERE webhook_id IN (${marks(ids.length)}) ORDER BY event_type`),
      ...ids,
    );
    for (const row of rows) {
      const id = String(row.webhook_id);
      types.set(id, [...(types.get(id) ?? []), String(row.event_type) as WebhookEventType]);
    }
    return types;
  };
  return {
    async getWebhook(id: string): Promise<WebhookRecord | null> {
      const row = await q.one(
        sql("SELECT * FROM webhooks WHERE id = ? AND deleted_at IS NULL"),
        id,
      );
      if (!row) return null;
      return webhookFromRow(row, (await typesOf([id])).get(id) ?? []);
    },

    /** Live subscriptions by id. */
    async listWebhooks(query: PageQuery): Promise<Page<WebhookRecord>> {
      const rows = await q.all(
        sql(`SELECT * FROM webhooks WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?`),
        query.after ?? "",
        query.pageSize + 1,
      );
      const types = await typesOf(rows.slice(0, query.pageSize).map((row) => String(row.id)));
      return page(
        rows,
        query.pageSize,
        (row) => webhookFromRow(row, types.get(String(row.id)) ?? []),
        (row) => String(row.id),
      );
    },

    /** A subscription's deliveries, newest first, optionally in some states only. */
    async listDeliveries(
      webhookId: string,
      states: readonly DeliveryState[],
      query: PageQuery,
    ): Promise<Page<DeliveryRecord>> {
      const [beforeAt, beforeId] = query.after
        ? splitKey(query.after)
        : [Number.MAX_SAFE_INTEGER, ""];
      const byState = states.length > 0 ? `AND state IN (${marks(states.length)})` : "";
      const rows = await q.all(
        sql(`SELECT * FROM webhook_deliveries
              WHERE webhook_id = ? ${byState}
                AND (created_at < ? OR (created_at = ? AND id < ?))
              ORDER BY created_at DESC, id DESC LIMIT ?`),
        webhookId,
        ...states,
        beforeAt,
        beforeAt,
        query.after ? beforeId : "\uffff",
        query.pageSize + 1,
      );
      return page(
        rows,
        query.pageSize,
        deliveryFromRow,
        (row) => `${num(row.created_at)}:${String(row.id)}`,
      );
    },

    /** When the earliest pending delivery is due (null: none pending). */
    async nextDeliveryAt(): Promise<number | null> {
      const row = await q.one(
        sql("SELECT min(next_attempt_at) AS next FROM webhook_deliveries WHERE state = 'PENDING'"),
      );
      return numOrNull(row?.next);
    },

    /** Service-mode connectors silent for longer than 3 polls and a grace, not yet reported. */
    async silentConnectors(
      now: number,
      graceMs: number,
      limit: number,
    ): Promise<SilentConnector[]> {
      const rows = await q.all(
        sql(`SELECT p.connector_id, c.app_id, p.host_id, p.last_seen_at
               FROM connector_presence p JOIN connectors c ON c.id = p.connector_id
              WHERE c.deleted_at IS NULL AND p.stopped_reported_at IS NULL
                AND ? - p.last_seen_at > 3 * p.poll_ms + ?
              ORDER BY p.last_seen_at LIMIT ?`),
        now,
        graceMs,
        limit,
      );
      return rows.map((row) => ({
        connectorId: String(row.connector_id),
        appId: String(row.app_id),
        hostId: String(row.host_id ?? ""),
        lastSeenAt: num(row.last_seen_at),
      }));
    },
  };
};

export const webhookWrites = (q: PortableSql, dialect: Dialect) => {
  const sql = dialect.placeholders;
  return {
    async insertWebhook(webhook: WebhookRecord): Promise<void> {
      await q.run(
        sql(`INSERT INTO webhooks (id, url, secret, app_id, failure_threshold, description,
               created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
        webhook.id,
        webhook.url,
        webhook.secret,
        webhook.appId,
        webhook.failureThreshold,
        webhook.description,
        webhook.createdBy,
        webhook.createdAt,
        webhook.updatedAt,
      );
      for (const type of webhook.eventTypes) {
        await q.run(
          sql("INSERT INTO webhook_event_types (event_type, webhook_id) VALUES (?, ?)"),
          type,
          webhook.id,
        );
      }
    },

    /** Deletes a subscription; its pending deliveries fail. False when there was none. */
    async deleteWebhook(id: string, now: number): Promise<boolean> {
      const deleted = await q.run(
        sql(
          "UPDATE webhooks SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
        ),
        now,
        now,
        id,
      );
      if (deleted === 0) return false;
      await q.run(sql("DELETE FROM webhook_event_types WHERE webhook_id = ?"), id);
      await q.run(
        sql(`UPDATE webhook_deliveries SET state = 'FAILED', next_attempt_at = NULL,
               lease_owner = NULL, last_error = 'the webhook was deleted', finished_at = ?
             WHERE webhook_id = ? AND state = 'PENDING'`),
        now,
        id,
      );
      return true;
    },

    /**
     * Writes one PENDING delivery of `event` for every live subscription that wants it (its type,
     * its app or all apps; connector.failing only where the streak reached the threshold).
     * Returns how many.
     */
    async emitWebhookEvent(event: WebhookEvent, now: number): Promise<number> {
      const streak = event.type === "connector.failing" ? (event.consecutiveFailures ?? 0) : 0;
      return q.run(
        sql(`INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, state,
               attempts, next_attempt_at, created_at)
             SELECT ? || ':' || w.id, w.id, ?, ?, ?, 'PENDING', 0, ?, ?
               FROM webhooks w
               JOIN webhook_event_types t ON t.webhook_id = w.id AND t.event_type = ?
              WHERE w.deleted_at IS NULL AND (w.app_id IS NULL OR w.app_id = ?)
                AND (? = 0 OR w.failure_threshold = ?)
             ON CONFLICT DO NOTHING`),
        event.id,
        event.id,
        event.type,
        eventBody(event),
        now,
        now,
        event.type,
        event.appId,
        streak,
        streak,
      );
    },

    /** One delivery of `event` to one subscription, whatever it subscribed to (a test ping). */
    async queueDelivery(webhookId: string, event: WebhookEvent, now: number): Promise<string> {
      const id = `${event.id}:${webhookId}`;
      await q.run(
        sql(`INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, state,
               attempts, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)`),
        id,
        webhookId,
        event.id,
        event.type,
        eventBody(event),
        now,
        now,
      );
      return id;
    },

    /** Claims up to `limit` due deliveries until `leaseUntil`; each claim counts an attempt. */
    async claimDeliveries(
      worker: string,
      now: number,
      leaseUntil: number,
      limit: number,
    ): Promise<ClaimedDelivery[]> {
      const rows = await q.all(
        sql(`UPDATE webhook_deliveries SET next_attempt_at = ?, lease_owner = ?,
               attempts = attempts + 1
             WHERE id IN (SELECT id FROM webhook_deliveries
                           WHERE state = 'PENDING' AND next_attempt_at <= ?
                           ORDER BY next_attempt_at LIMIT ? ${dialect.skipLocked})
             RETURNING *`),
        leaseUntil,
        worker,
        now,
        limit,
      );
      if (rows.length === 0) return [];
      const ids = [...new Set(rows.map((row) => String(row.webhook_id)))];
      const hooks = new Map(
        (
          await q.all(
            sql(
              `SELECT id, url, secret, deleted_at FROM webhooks WHERE id IN (${marks(ids.length)})`,
            ),
            ...ids,
          )
        ).map((row) => [String(row.id), row]),
      );
      return rows.map((row) => {
        const hook = hooks.get(String(row.webhook_id));
        return {
          delivery: deliveryFromRow(row),
          url: String(hook?.url ?? ""),
          secret: String(hook?.secret ?? ""),
          webhookDeleted: !hook || hook.deleted_at !== null,
        };
      });
    },

    /** Records an attempt's outcome, if the lease (worker, attempt) is still this one. */
    async finishDelivery(
      id: string,
      worker: string,
      attempts: number,
      outcome: DeliveryOutcome,
    ): Promise<boolean> {
      const updated = await q.run(
        sql(`UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, lease_owner = NULL,
               last_status = ?, last_error = ?, finished_at = ?
             WHERE id = ? AND lease_owner = ? AND attempts = ? AND state = 'PENDING'`),
        outcome.state,
        outcome.state === "PENDING" ? outcome.nextAttemptAt : null,
        outcome.status,
        outcome.error,
        outcome.state === "PENDING" ? null : outcome.at,
        id,
        worker,
        attempts,
      );
      return updated > 0;
    },

    /** Marks a silent connector reported; false when another scheduler did. */
    async markStoppedPolling(
      connectorId: string,
      lastSeenAt: number,
      now: number,
    ): Promise<boolean> {
      return (
        (await q.run(
          sql(`UPDATE connector_presence SET stopped_reported_at = ?
                WHERE connector_id = ? AND stopped_reported_at IS NULL AND last_seen_at = ?`),
          now,
          connectorId,
          lastSeenAt,
        )) > 0
      );
    },
  };
};
