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
import type { PgDb } from "./db.js";

export const connectorReads = (q: PgDb) =>
  ({
    async getConnector(appId: string, id: string): Promise<ConnectorRecord | null> {
      const row = await q.one(
        "SELECT * FROM connectors WHERE id = $1 AND app_id = $2 AND deleted_at IS NULL",
        id,
        appId,
      );
      return row ? connectorFromRow(row) : null;
    },

    async findConnector(id: string): Promise<ConnectorRecord | null> {
      const row = await q.one("SELECT * FROM connectors WHERE id = $1 AND deleted_at IS NULL", id);
      return row ? connectorFromRow(row) : null;
    },

    async listConnectors(appId: string, query: PageQuery): Promise<Page<ConnectorRecord>> {
      const rows = await q.all(
        `SELECT * FROM connectors WHERE app_id = $1 AND deleted_at IS NULL AND id > $2
         ORDER BY id LIMIT $3`,
        appId,
        query.after ?? "",
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, connectorFromRow, (row) => String(row.id));
    },

    async listAllConnectors(query: PageQuery): Promise<Page<ConnectorRecord>> {
      const rows = await q.all(
        "SELECT * FROM connectors WHERE deleted_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
        query.after ?? "",
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, connectorFromRow, (row) => String(row.id));
    },

    async listHolds(connectorId: string): Promise<Hold[]> {
      const rows = await q.all(
        "SELECT * FROM holds WHERE connector_id = $1 ORDER BY created_at",
        connectorId,
      );
      return rows.map(holdFromRow);
    },

    async timedPausesDue(now: number, limit: number): Promise<TimedPause[]> {
      const rows = await q.all(
        `SELECT h.*, c.app_id FROM holds h JOIN connectors c ON c.id = h.connector_id
         WHERE h.until_at IS NOT NULL AND h.until_at <= $1 AND h.kind = 'PAUSED'
           AND c.deleted_at IS NULL
         ORDER BY h.until_at, h.connector_id LIMIT $2`,
        now,
        limit,
      );
      return rows.map((row) => ({
        appId: String(row.app_id),
        connectorId: String(row.connector_id),
        hold: holdFromRow(row),
      }));
    },

    async listHoldsFor(connectorIds: readonly string[]): Promise<Map<string, Hold[]>> {
      const result = new Map<string, Hold[]>();
      if (connectorIds.length === 0) return result;
      const rows = await q.all(
        "SELECT * FROM holds WHERE connector_id = ANY($1::text[]) ORDER BY created_at",
        connectorIds,
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
      const rows = await q.all(
        "SELECT * FROM connector_presence WHERE connector_id = ANY($1::text[])",
        connectorIds,
      );
      for (const row of rows) result.set(String(row.connector_id), presenceFromRow(row));
      return result;
    },
  }) satisfies Partial<StoreReader>;

export const connectorWrites = (q: PgDb) =>
  ({
    async countConnectors(appId: string): Promise<number> {
      const row = await q.one(
        "SELECT count(*) AS n FROM connectors WHERE app_id = $1 AND deleted_at IS NULL",
        appId,
      );
      return Number(row?.n ?? 0);
    },

    async insertConnector(c: ConnectorRecord): Promise<void> {
      await q.run(
        `INSERT INTO connectors (id, app_id, display_name, description, catalog_id, config,
             config_updated_at, disable_check_bad_sync, sync_resource_type_ids, user_ids,
             drop_threshold_percent, drop_min_rows, created_at, updated_at, labels,
             drop_type_limits)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
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
      // The row lock holds off concurrent commands on this connector until the transaction ends.
      const row = await q.one(
        `SELECT * FROM connectors WHERE id = $1 AND app_id = $2 AND deleted_at IS NULL
         FOR UPDATE`,
        id,
        appId,
      );
      return row ? connectorFromRow(row) : null;
    },

    async updateConnector(id: string, patch: ConnectorPatch, now: number): Promise<void> {
      const has = (key: keyof ConnectorPatch) => patch[key] !== undefined;
      await q.run(
        `UPDATE connectors SET
           display_name = CASE WHEN $1::boolean THEN $2 ELSE display_name END,
           description = CASE WHEN $3::boolean THEN $4 ELSE description END,
           config = CASE WHEN $5::boolean THEN $6 ELSE config END,
           config_updated_at = CASE WHEN $5::boolean THEN $7 ELSE config_updated_at END,
           disable_check_bad_sync =
             CASE WHEN $8::boolean THEN $9 ELSE disable_check_bad_sync END,
           sync_resource_type_ids =
             CASE WHEN $10::boolean THEN $11 ELSE sync_resource_type_ids END,
           user_ids = CASE WHEN $12::boolean THEN $13 ELSE user_ids END,
           drop_threshold_percent =
             CASE WHEN $14::boolean THEN $15 ELSE drop_threshold_percent END,
           drop_min_rows = CASE WHEN $14::boolean THEN $16 ELSE drop_min_rows END,
           drop_type_limits = CASE WHEN $14::boolean THEN $20 ELSE drop_type_limits END,
           labels = CASE WHEN $18::boolean THEN $19 ELSE labels END,
           updated_at = $7
           WHERE id = $17`,
        has("displayName"),
        patch.displayName ?? null,
        has("description"),
        patch.description ?? null,
        has("config"),
        patch.config ? JSON.stringify(patch.config) : null,
        now,
        has("disableCheckBadSync"),
        patch.disableCheckBadSync ? 1 : 0,
        has("syncResourceTypeIds"),
        JSON.stringify(patch.syncResourceTypeIds ?? []),
        has("userIds"),
        JSON.stringify(patch.userIds ?? []),
        has("dataDropPolicy"),
        patch.dataDropPolicy?.thresholdPercent ?? null,
        patch.dataDropPolicy?.minRows ?? null,
        id,
        has("labels"),
        JSON.stringify(patch.labels ?? {}),
        typeLimits(patch.dataDropPolicy),
      );
    },

    async deleteConnector(id: string, now: number): Promise<void> {
      await q.run("UPDATE connectors SET deleted_at = $1, updated_at = $1 WHERE id = $2", now, id);
      await q.run("DELETE FROM holds WHERE connector_id = $1", id);
    },

    async setConnectorSyncStatus(id: string, status: ConnectorSyncStatus): Promise<void> {
      await q.run(
        `UPDATE connectors SET sync_status = $1, sync_started_at = $2, sync_completed_at = $3,
             sync_status_updated_at = $4, sync_last_error = $5 WHERE id = $6`,
        status.status,
        status.startedAt,
        status.completedAt,
        status.updatedAt,
        status.lastError,
        id,
      );
    },

    async insertHold(connectorId: string, hold: Hold): Promise<boolean> {
      const inserted = await q.run(
        `INSERT INTO holds (connector_id, kind, actor, note, created_at, until_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (connector_id, kind) DO NOTHING`,
        connectorId,
        hold.kind,
        hold.actor,
        hold.note,
        hold.createdAt,
        hold.until ?? null,
      );
      return inserted > 0;
    },

    async updateHold(
      connectorId: string,
      kind: HoldKind,
      patch: Pick<Hold, "actor" | "note" | "until">,
    ): Promise<boolean> {
      const updated = await q.run(
        `UPDATE holds SET actor = $1, note = $2, until_at = $3
         WHERE connector_id = $4 AND kind = $5`,
        patch.actor,
        patch.note,
        patch.until ?? null,
        connectorId,
        kind,
      );
      return updated > 0;
    },

    async deleteHold(connectorId: string, kind: HoldKind): Promise<boolean> {
      const deleted = await q.run(
        "DELETE FROM holds WHERE connector_id = $1 AND kind = $2",
        connectorId,
        kind,
      );
      return deleted > 0;
    },

    async recordHello(presence: PresenceRecord): Promise<void> {
      await q.run(
        `INSERT INTO connector_presence (connector_id, host_id, sdk, capabilities, hello_at,
             last_seen_at, poll_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (connector_id) DO UPDATE SET host_id = excluded.host_id,
             sdk = excluded.sdk, capabilities = excluded.capabilities,
             hello_at = excluded.hello_at, last_seen_at = excluded.last_seen_at,
             poll_ms = excluded.poll_ms, stopped_reported_at = NULL`,
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
      await q.run(
        `INSERT INTO connector_presence AS p (connector_id, host_id, last_seen_at, poll_ms)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (connector_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,
             poll_ms = excluded.poll_ms, stopped_reported_at = NULL,
             host_id = CASE WHEN excluded.host_id = '' THEN p.host_id ELSE excluded.host_id END`,
        connectorId,
        hostId,
        now,
        pollMs,
      );
    },
  }) satisfies Partial<StoreTx>;
