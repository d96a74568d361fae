// Connectors, their holds and their service-mode presence.

import type { Hold, HoldKind } from "../../domain/holds.js";
import type { ConnectorRecord, ConnectorSyncStatus, PresenceRecord } from "../../domain/model.js";
import { page } from "../paging.js";
import { connectorFromRow, holdFromRow, presenceFromRow, typeLimits } from "../rows.js";
import type {
  ConnectorPatch,
  Page,
  PageQuery,
  StoreReader,
  StoreTx,
  TimedPause,
} from "../store.js";
import type { SqliteDb } from "./db.js";

export const connectorReads = (q: SqliteDb) =>
  ({
    async getConnector(appId: string, id: string): Promise<ConnectorRecord | null> {
      const row = q.one(
        "SELECT * FROM connectors WHERE id = ? AND app_id = ? AND deleted_at IS NULL",
        id,
        appId,
      );
      return row ? connectorFromRow(row) : null;
    },

    async findConnector(id: string): Promise<ConnectorRecord | null> {
      const row = q.one("SELECT * FROM connectors WHERE id = ? AND deleted_at IS NULL", id);
      return row ? connectorFromRow(row) : null;
    },

    async listConnectors(appId: string, query: PageQuery): Promise<Page<ConnectorRecord>> {
      const rows = q.all(
        "SELECT * FROM connectors WHERE app_id = ? AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
        appId,
        query.after ?? "",
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, connectorFromRow, (row) => String(row.id));
    },

    async listAllConnectors(query: PageQuery): Promise<Page<ConnectorRecord>> {
      const rows = q.all(
        "SELECT * FROM connectors WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
        query.after ?? "",
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, connectorFromRow, (row) => String(row.id));
    },

    async listHolds(connectorId: string): Promise<Hold[]> {
      return q
        .all("SELECT * FROM holds WHERE connector_id = ? ORDER BY created_at", connectorId)
        .map(holdFromRow);
    },

    async timedPausesDue(now: number, limit: number): Promise<TimedPause[]> {
      return q
        .all(
          `SELECT h.*, c.app_id FROM holds h JOIN connectors c ON c.id = h.connector_id
           WHERE h.until_at IS NOT NULL AND h.until_at <= ? AND h.kind = 'PAUSED'
             AND c.deleted_at IS NULL
           ORDER BY h.until_at, h.connector_id LIMIT ?`,
          now,
          limit,
        )
        .map((row) => ({
          appId: String(row.app_id),
          connectorId: String(row.connector_id),
          hold: holdFromRow(row),
        }));
    },

    async listHoldsFor(connectorIds: readonly string[]): Promise<Map<string, Hold[]>> {
      const result = new Map<string, Hold[]>();
      if (connectorIds.length === 0) return result;
      const rows = q.all(
        "SELECT * FROM holds WHERE connector_id IN (SELECT value FROM json_each(?)) ORDER BY created_at",
        JSON.stringify(connectorIds),
      );
      for (const row of rows) {
        const id = String(row.connector_id);
        const holds = result.get(id) ?? [];
        holds.push(holdFromRow(row));
        result.set(id, holds);
      }
      return result;
    },

    async getPresence(connectorIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
      const result = new Map<string, PresenceRecord>();
      if (connectorIds.length === 0) return result;
      const rows = q.all(
        "SELECT * FROM connector_presence WHERE connector_id IN (SELECT value FROM json_each(?))",
        JSON.stringify(connectorIds),
      );
      for (const row of rows) result.set(String(row.connector_id), presenceFromRow(row));
      return result;
    },
  }) satisfies Partial<StoreReader>;

export const connectorWrites = (q: SqliteDb) => {
  const reads = connectorReads(q);
  return {
    async countConnectors(appId: string): Promise<number> {
      const row = q.one(
        "SELECT count(*) AS n FROM connectors WHERE app_id = ? AND deleted_at IS NULL",
        appId,
      );
      return Number(row?.n ?? 0);
    },

    async insertConnector(c: ConnectorRecord): Promise<void> {
      q.run(
        `INSERT INTO connectors (id, app_id, display_name, description, catalog_id, config,
             config_updated_at, disable_check_bad_sync, sync_resource_type_ids, user_ids,
             drop_threshold_percent, drop_min_rows, created_at, updated_at, labels,
             drop_type_limits)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        c.id,
        c.appId,
        c.displayName,
        c.description,
        c.catalogId,
        c.config ? JSON.stringify(c.config) : null,
        c.configUpdatedAt,
        c.disableCheckBadSync ? 1 : 0,
        JSON.stringify(c.syncResourceTypeIds),
        JSON.stringify(c.userIds),
        c.dataDropPolicy?.thresholdPercent ?? null,
        c.dataDropPolicy?.minRows ?? null,
        c.createdAt,
        c.updatedAt,
        JSON.stringify(c.labels),
        typeLimits(c.dataDropPolicy),
      );
    },

    async lockConnector(appId: string, id: string): Promise<ConnectorRecord | null> {
      // BEGIN IMMEDIATE already holds the database write lock for the whole transaction.
      return reads.getConnector(appId, id);
    },

    async updateConnector(id: string, patch: ConnectorPatch, now: number): Promise<void> {
      const has = (key: keyof ConnectorPatch) => (patch[key] === undefined ? 0 : 1);
      q.run(
        `UPDATE connectors SET
             display_name = CASE WHEN ? THEN ? ELSE display_name END,
             description = CASE WHEN ? THEN ? ELSE description END,
             config = CASE WHEN ? THEN ? ELSE config END,
             config_updated_at = CASE WHEN ? THEN ? ELSE config_updated_at END,
             disable_check_bad_sync = CASE WHEN ? THEN ? ELSE disable_check_bad_sync END,
             sync_resource_type_ids = CASE WHEN ? THEN ? ELSE sync_resource_type_ids END,
             user_ids = CASE WHEN ? THEN ? ELSE user_ids END,
             drop_threshold_percent = CASE WHEN ? THEN ? ELSE drop_threshold_percent END,
             drop_min_rows = CASE WHEN ? THEN ? ELSE drop_min_rows END,
             drop_type_limits = CASE WHEN ? THEN ? ELSE drop_type_limits END,
             labels = CASE WHEN ? THEN ? ELSE labels END,
             updated_at = ?
           WHERE id = ?`,
        has("displayName"),
        patch.displayName ?? null,
        has("description"),
        patch.description ?? null,
        has("config"),
        patch.config ? JSON.stringify(patch.config) : null,
        has("config"),
        now,
        has("disableCheckBadSync"),
        patch.disableCheckBadSync ? 1 : 0,
        has("syncResourceTypeIds"),
        JSON.stringify(patch.syncResourceTypeIds ?? []),
        has("userIds"),
        JSON.stringify(patch.userIds ?? []),
        has("dataDropPolicy"),
        patch.dataDropPolicy?.thresholdPercent ?? null,
        has("dataDropPolicy"),
        patch.dataDropPolicy?.minRows ?? null,
        has("dataDropPolicy"),
        typeLimits(patch.dataDropPolicy),
        has("labels"),
        JSON.stringify(patch.labels ?? {}),
        now,
        id,
      );
    },

    async deleteConnector(id: string, now: number): Promise<void> {
      q.run("UPDATE connectors SET deleted_at = ?, updated_at = ? WHERE id = ?", now, now, id);
      q.run("DELETE FROM holds WHERE connector_id = ?", id);
    },

    async setConnectorSyncStatus(id: string, status: ConnectorSyncStatus): Promise<void> {
      q.run(
        `UPDATE connectors SET sync_status = ?, sync_started_at = ?, sync_completed_at = ?,
             sync_status_updated_at = ?, sync_last_error = ? WHERE id = ?`,
        status.status,
        status.startedAt,
        status.completedAt,
        status.updatedAt,
        status.lastError,
        id,
      );
    },

    async insertHold(connectorId: string, hold: Hold): Promise<boolean> {
      return (
        q.run(
          `INSERT INTO holds (connector_id, kind, actor, note, created_at, until_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connector_id, kind) DO NOTHING`,
          connectorId,
          hold.kind,
          hold.actor,
          hold.note,
          hold.createdAt,
          hold.until ?? null,
        ) > 0
      );
    },

    async updateHold(
      connectorId: string,
      kind: HoldKind,
      patch: Pick<Hold, "actor" | "note" | "until">,
    ): Promise<boolean> {
      return (
        q.run(
          "UPDATE holds SET actor = ?, note = ?, until_at = ? WHERE connector_id = ? AND kind = ?",
          patch.actor,
          patch.note,
          patch.until ?? null,
          connectorId,
          kind,
        ) > 0
      );
    },

    async deleteHold(connectorId: string, kind: HoldKind): Promise<boolean> {
      return q.run("DELETE FROM holds WHERE connector_id = ? AND kind = ?", connectorId, kind) > 0;
    },

    async recordHello(presence: PresenceRecord): Promise<void> {
      q.run(
        `INSERT INTO connector_presence (connector_id, host_id, sdk, capabilities, hello_at,
             last_seen_at, poll_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (connector_id) DO UPDATE SET host_id = excluded.host_id, sdk = excluded.sdk,
             capabilities = excluded.capabilities, hello_at = excluded.hello_at,
             last_seen_at = excluded.last_seen_at, poll_ms = excluded.poll_ms,
             stopped_reported_at = NULL`,
        presence.connectorId,
        presence.hostId,
        presence.sdk,
        JSON.stringify(presence.capabilities),
        presence.helloAt,
        presence.lastSeenAt,
        presence.pollMs,
      );
    },

    async touchPresence(
      connectorId: string,
      hostId: string,
      now: number,
      pollMs: number,
    ): Promise<void> {
      q.run(
        `INSERT INTO connector_presence (connector_id, host_id, last_seen_at, poll_ms) VALUES (?, ?, ?, ?)
           ON CONFLICT (connector_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,
             poll_ms = excluded.poll_ms, stopped_reported_at = NULL,
             host_id = CASE WHEN excluded.host_id = '' THEN host_id ELSE excluded.host_id END`,
        connectorId,
        hostId,
        now,
        pollMs,
      );
    },
  } satisfies Partial<StoreTx>;
};
