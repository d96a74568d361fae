// The embedded backend: better-sqlite3 in WAL mode, one file under the data dir.
//
// Two connections: `writer` runs commands one at a time (an async callback could otherwise
// interleave with another on the same connection) and commits them in groups (see
// transaction()); `reader` serves lock-free reads, which under WAL see the last committed state.

import Database from "better-sqlite3";
import type { Hold, HoldKind } from "../../domain/holds.js";
import type {
  AppRecord,
  AuditEvent,
  ConnectorRecord,
  ConnectorSyncStatus,
  CredentialRecord,
  PresenceRecord,
  ScheduleRecord,
  SyncEvent,
  SyncRecord,
} from "../../domain/model.js";
import { FINISHED_STATES, type SyncState } from "../../domain/syncs.js";
import { sqlStates, syncMoveFrom, taskMoveFrom } from "../transitions.js";
import type {
  EntitlementRecord,
  GrantRecord,
  ResourceRecord,
  ResourceRef,
  ResourceTypeRecord,
} from "../../domain/inventory.js";
import {
  OPEN_TASK_STATES,
  type ProvisioningTaskRecord,
  type TaskState,
} from "../../domain/provisioning.js";
import { loadMigrations, pendingMigrations } from "../migrate.js";
import { Checkpointer } from "./checkpointer.js";
import type {
  AccessTokenRecord,
  InventoryBatch,
  InventoryRowCounts,
  AppPatch,
  AuditQuery,
  ConnectorPatch,
  NewProvisioningTask,
  NewSync,
  Page,
  PageQuery,
  Store,
  StoreReader,
  StoreTx,
  SyncFinish,
  TaskCounts,
  TaskFinish,
  ResourceFilter,
  EntitlementFilter,
  GrantFilter,
} from "../store.js";
import {
  appFromRow,
  auditFromRow,
  connectorFromRow,
  credentialFromRow,
  holdFromRow,
  type Row,
  scheduleFromRow,
  invalidPageToken,
  splitKey,
  parseKey,
  resourceTypeFromRow,
  resourceFromRow,
  entitlementFromRow,
  grantFromRow,
  syncFromRow,
  taskFromRow,
  presenceFromRow,
} from "./rows.js";

type Db = Database.Database;

const FINISHED_LIST = sqlStates(FINISHED_STATES);

// Lifecycle guards, checked against the domain's state machines when this module loads.
const CANCEL_QUEUED_SYNCS = sqlStates(syncMoveFrom(["QUEUED"], "CANCELED"));
const START_SYNC = sqlStates(syncMoveFrom(["QUEUED"], "RUNNING"));
const REQUEUE_SYNC = sqlStates(syncMoveFrom(["RUNNING"], "QUEUED"));
const SUPERSEDE_HELD_SYNCS = sqlStates(syncMoveFrom(["ERRORED_NO_DATA"], "SUPERSEDED"));
const CANCEL_OPEN_TASKS = sqlStates(taskMoveFrom(OPEN_TASK_STATES, "CANCELED"));
const START_TASK = sqlStates(taskMoveFrom(["QUEUED"], "RUNNING"));

function openConnection(path: string, readonly: boolean): Db {
  const db = new Database(path, { readonly: false, fileMustExist: readonly });
  db.pragma("journal_mode = WAL");
  // NORMAL in WAL mode survives a crash or kill -9 of the process; only an OS crash or power
  // loss can lose the last transactions.
  db.pragma("synchronous = NORMAL");
  // Waiting for another process's write lock blocks the event loop (better-sqlite3 is
  // synchronous); other writers (the offline CLI) hold it for milliseconds.
  db.pragma("busy_timeout = 5000");
  // Checkpoints run on a worker thread (checkpointer.ts), not inside request commits.
  db.pragma("wal_autocheckpoint = 0");
  // 64 MiB of page cache per connection (the default is 2 MiB).
  db.pragma("cache_size = -65536");
  // Each command runs in a SAVEPOINT; keep its undo (sub-)journal in memory, not in a temp file.
  db.pragma("temp_store = MEMORY");
  db.pragma("foreign_keys = ON");
  if (readonly) db.pragma("query_only = ON");
  return db;
}

function page<T>(
  rows: Row[],
  size: number,
  map: (row: Row) => T,
  key: (row: Row) => string,
): Page<T> {
  const kept = rows.slice(0, size);
  const last = kept.at(-1);
  return {
    items: kept.map(map),
    nextKey: rows.length > size && last !== undefined ? key(last) : null,
  };
}

/** Reads shared by the reader connection and, inside a transaction, the writer. */
class SqliteReader implements StoreReader {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(protected readonly db: Db) {}

  protected stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  protected one(sql: string, ...params: unknown[]): Row | undefined {
    return this.stmt(sql).get(...params) as Row | undefined;
  }

  protected all(sql: string, ...params: unknown[]): Row[] {
    return this.stmt(sql).all(...params) as Row[];
  }

  async getApp(id: string): Promise<AppRecord | null> {
    const row = this.one("SELECT * FROM apps WHERE id = ? AND deleted_at IS NULL", id);
    return row ? appFromRow(row) : null;
  }

  async listApps(query: PageQuery): Promise<Page<AppRecord>> {
    const rows = this.all(
      "SELECT * FROM apps WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
      query.after ?? "",
      query.pageSize + 1,
    );
    return page(rows, query.pageSize, appFromRow, (row) => String(row.id));
  }

  async getConnector(appId: string, id: string): Promise<ConnectorRecord | null> {
    const row = this.one(
      "SELECT * FROM connectors WHERE id = ? AND app_id = ? AND deleted_at IS NULL",
      id,
      appId,
    );
    return row ? connectorFromRow(row) : null;
  }

  async findConnector(id: string): Promise<ConnectorRecord | null> {
    const row = this.one("SELECT * FROM connectors WHERE id = ? AND deleted_at IS NULL", id);
    return row ? connectorFromRow(row) : null;
  }

  async listConnectors(appId: string, query: PageQuery): Promise<Page<ConnectorRecord>> {
    const rows = this.all(
      "SELECT * FROM connectors WHERE app_id = ? AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
      appId,
      query.after ?? "",
      query.pageSize + 1,
    );
    return page(rows, query.pageSize, connectorFromRow, (row) => String(row.id));
  }

  async listHolds(connectorId: string): Promise<Hold[]> {
    return this.all(
      "SELECT * FROM holds WHERE connector_id = ? ORDER BY created_at",
      connectorId,
    ).map(holdFromRow);
  }

  async listHoldsFor(connectorIds: readonly string[]): Promise<Map<string, Hold[]>> {
    const result = new Map<string, Hold[]>();
    if (connectorIds.length === 0) return result;
    const rows = this.all(
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
  }

  async getSchedule(connectorId: string): Promise<ScheduleRecord | null> {
    const row = this.one("SELECT * FROM schedules WHERE connector_id = ?", connectorId);
    return row ? scheduleFromRow(row) : null;
  }

  async getSchedulesFor(connectorIds: readonly string[]): Promise<Map<string, ScheduleRecord>> {
    const result = new Map<string, ScheduleRecord>();
    if (connectorIds.length === 0) return result;
    const rows = this.all(
      "SELECT * FROM schedules WHERE connector_id IN (SELECT value FROM json_each(?))",
      JSON.stringify(connectorIds),
    );
    for (const row of rows) result.set(String(row.connector_id), scheduleFromRow(row));
    return result;
  }

  async nextScheduledFire(): Promise<number | null> {
    const row = this.one(
      "SELECT min(next_fire_at) AS next FROM schedules WHERE next_fire_at IS NOT NULL",
    );
    return row?.next === null || row?.next === undefined ? null : Number(row.next);
  }

  async getSync(connectorId: string, id: string): Promise<SyncRecord | null> {
    const row = this.one(
      "SELECT * FROM sync_lifecycles WHERE id = ? AND connector_id = ?",
      id,
      connectorId,
    );
    return row ? syncFromRow(row) : null;
  }

  async listSyncs(connectorId: string, query: PageQuery): Promise<Page<SyncRecord>> {
    const [queuedAt, id] = query.after ? splitKey(query.after) : [Number.MAX_SAFE_INTEGER, ""];
    const rows = this.all(
      `SELECT * FROM sync_lifecycles
       WHERE connector_id = ? AND (queued_at, id) < (?, ?)
       ORDER BY queued_at DESC, id DESC LIMIT ?`,
      connectorId,
      queuedAt,
      query.after ? id : "",
      query.pageSize + 1,
    );
    return page(
      rows,
      query.pageSize,
      syncFromRow,
      (row) => `${String(row.queued_at)}:${String(row.id)}`,
    );
  }

  async listSyncEvents(syncId: string): Promise<SyncEvent[]> {
    return this.all("SELECT * FROM sync_events WHERE sync_id = ? ORDER BY seq", syncId).map(
      (row) => ({
        at: Number(row.at),
        state: String(row.state) as SyncState,
        attempt: Number(row.attempt),
        error: String(row.error),
      }),
    );
  }

  async getCredentialByClientId(clientId: string): Promise<CredentialRecord | null> {
    const row = this.one("SELECT * FROM credentials WHERE client_id = ?", clientId);
    return row ? credentialFromRow(row) : null;
  }

  async getCredential(id: string): Promise<CredentialRecord | null> {
    const row = this.one("SELECT * FROM credentials WHERE id = ?", id);
    return row ? credentialFromRow(row) : null;
  }

  async listCredentials(): Promise<CredentialRecord[]> {
    return this.all("SELECT * FROM credentials ORDER BY created_at, id").map(credentialFromRow);
  }

  async findAccessToken(tokenHash: string, now: number): Promise<CredentialRecord | null> {
    const row = this.one(
      `SELECT c.* FROM access_tokens t JOIN credentials c ON c.id = t.credential_id
       WHERE t.token_hash = ? AND t.expires_at > ? AND c.revoked_at IS NULL`,
      tokenHash,
      now,
    );
    return row ? credentialFromRow(row) : null;
  }

  async inventoryRowCounts(syncId: string): Promise<InventoryRowCounts> {
    const count = (table: string) =>
      Number(this.one(`SELECT count(*) AS n FROM ${table} WHERE sync_id = ?`, syncId)?.n ?? 0);
    return {
      resourceTypes: count("inventory_resource_types"),
      resources: count("inventory_resources"),
      entitlements: count("inventory_entitlements"),
      grants: count("inventory_grants"),
    };
  }

  async listInventoryResourceTypes(syncId: string): Promise<ResourceTypeRecord[]> {
    return this.all(
      "SELECT * FROM inventory_resource_types WHERE sync_id = ? ORDER BY id",
      syncId,
    ).map(resourceTypeFromRow);
  }

  async listInventoryResources(
    syncId: string,
    filter: ResourceFilter,
    query: PageQuery,
  ): Promise<Page<ResourceRecord>> {
    const [afterType, afterId] = query.after ? parseKey(query.after, 2) : ["", ""];
    const rows = filter.resourceTypeId
      ? this.all(
          `SELECT * FROM inventory_resources
           WHERE sync_id = ? AND resource_type_id = ? AND resource_id > ?
           ORDER BY resource_type_id, resource_id LIMIT ?`,
          syncId,
          filter.resourceTypeId,
          query.after ? afterId : "",
          query.pageSize + 1,
        )
      : this.all(
          `SELECT * FROM inventory_resources
           WHERE sync_id = ? AND (resource_type_id, resource_id) > (?, ?)
           ORDER BY resource_type_id, resource_id LIMIT ?`,
          syncId,
          afterType,
          afterId,
          query.pageSize + 1,
        );
    return page(rows, query.pageSize, resourceFromRow, (row) =>
      JSON.stringify([row.resource_type_id, row.resource_id]),
    );
  }

  async listInventoryEntitlements(
    syncId: string,
    filter: EntitlementFilter,
    query: PageQuery,
  ): Promise<Page<EntitlementRecord>> {
    const [after] = query.after ? parseKey(query.after, 1) : [""];
    const byType =
      (filter.resourceTypeId !== undefined ? "AND resource_type_id = ? " : "") +
      (filter.resourceId !== undefined ? "AND resource_id = ?" : "");
    const params = [filter.resourceTypeId, filter.resourceId].filter((p) => p !== undefined);
    const rows = this.all(
      `SELECT * FROM inventory_entitlements
       WHERE sync_id = ? ${byType} AND id > ? ORDER BY id LIMIT ?`,
      syncId,
      ...params,
      after,
      query.pageSize + 1,
    );
    return page(rows, query.pageSize, entitlementFromRow, (row) => JSON.stringify([row.id]));
  }

  async listInventoryGrants(
    syncId: string,
    filter: GrantFilter,
    query: PageQuery,
  ): Promise<Page<GrantRecord>> {
    const byEntitlement = filter.entitlementId !== undefined ? "AND g.entitlement_id = ?" : "";
    const entitlement = filter.entitlementId !== undefined ? [filter.entitlementId] : [];
    const type = filter.principal?.resourceTypeId;
    const id = filter.principal?.resourceId;
    const grantKey = (row: Row) => JSON.stringify([row.id]);
    if (type !== undefined && id === undefined) {
      // Grants to principals of one type: in the lookup table's order (principal, then grant),
      // so a page is an index range, however many grants the type has.
      const [afterPrincipal, afterGrant] = query.after ? parseKey(query.after, 2) : ["", ""];
      const rows = this.all(
        `SELECT g.* FROM inventory_grant_principals p
         JOIN inventory_grants g ON g.sync_id = p.sync_id AND g.id = p.grant_id
         WHERE p.sync_id = ? AND p.principal_type_id = ?
           AND (p.principal_id, p.grant_id) > (?, ?) ${byEntitlement}
         ORDER BY p.principal_id, p.grant_id LIMIT ?`,
        syncId,
        type,
        afterPrincipal,
        afterGrant,
        ...entitlement,
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, grantFromRow, (row) =>
        JSON.stringify([row.principal_id, row.id]),
      );
    }
    const [after] = query.after ? parseKey(query.after, 1) : [""];
    if (id !== undefined) {
      // One principal (of one type, or of every type the sync has: an index lookup per type).
      const types =
        type !== undefined
          ? "= ?"
          : "IN (SELECT id FROM inventory_resource_types WHERE sync_id = ?)";
      const rows = this.all(
        `SELECT g.* FROM inventory_grant_principals p
         JOIN inventory_grants g ON g.sync_id = p.sync_id AND g.id = p.grant_id
         WHERE p.sync_id = ? AND p.principal_type_id ${types} AND p.principal_id = ?
           AND p.grant_id > ? ${byEntitlement}
         ORDER BY p.grant_id LIMIT ?`,
        syncId,
        type ?? syncId,
        id,
        after,
        ...entitlement,
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, grantFromRow, grantKey);
    }
    const rows = this.all(
      `SELECT g.* FROM inventory_grants g
       WHERE g.sync_id = ? ${byEntitlement} AND g.id > ? ORDER BY g.id LIMIT ?`,
      syncId,
      ...entitlement,
      after,
      query.pageSize + 1,
    );
    return page(rows, query.pageSize, grantFromRow, grantKey);
  }

  async unneededInventorySyncs(limit: number): Promise<string[]> {
    // Every stored sync has resource types (resources, entitlements and grants need them).
    return this.all(
      `SELECT DISTINCT t.sync_id FROM inventory_resource_types t
       JOIN sync_lifecycles s ON s.id = t.sync_id
       JOIN connectors c ON c.id = s.connector_id
       WHERE s.state <> 'RUNNING'
         AND (c.deleted_at IS NOT NULL
              OR (s.state <> 'ERRORED_NO_DATA' AND c.applied_sync_id IS NOT t.sync_id))
       LIMIT ?`,
      limit,
    ).map((row) => String(row.sync_id));
  }

  async getInventoryEntitlement(syncId: string, id: string): Promise<EntitlementRecord | null> {
    const row = this.one(
      "SELECT * FROM inventory_entitlements WHERE sync_id = ? AND id = ?",
      syncId,
      id,
    );
    return row ? entitlementFromRow(row) : null;
  }

  async getInventoryResource(syncId: string, ref: ResourceRef): Promise<ResourceRecord | null> {
    const row = this.one(
      `SELECT * FROM inventory_resources
       WHERE sync_id = ? AND resource_type_id = ? AND resource_id = ?`,
      syncId,
      ref.resourceTypeId,
      ref.resourceId,
    );
    return row ? resourceFromRow(row) : null;
  }

  async getInventoryGrant(syncId: string, id: string): Promise<GrantRecord | null> {
    const row = this.one("SELECT * FROM inventory_grants WHERE sync_id = ? AND id = ?", syncId, id);
    return row ? grantFromRow(row) : null;
  }

  async getProvisioningTask(
    connectorId: string,
    id: string,
  ): Promise<ProvisioningTaskRecord | null> {
    const row = this.one(
      "SELECT * FROM provisioning_tasks WHERE id = ? AND connector_id = ?",
      id,
      connectorId,
    );
    return row ? taskFromRow(row) : null;
  }

  async listProvisioningTasks(
    connectorId: string,
    states: readonly TaskState[],
    query: PageQuery,
  ): Promise<Page<ProvisioningTaskRecord>> {
    const after = query.after === null ? 0 : Number(query.after);
    if (!Number.isSafeInteger(after)) throw invalidPageToken();
    const rows = this.all(
      `SELECT * FROM provisioning_tasks
       WHERE connector_id = ? AND seq > ?
         AND (? = '[]' OR state IN (SELECT value FROM json_each(?)))
       ORDER BY seq LIMIT ?`,
      connectorId,
      after,
      JSON.stringify(states),
      JSON.stringify(states),
      query.pageSize + 1,
    );
    return page(rows, query.pageSize, taskFromRow, (row) => String(row.seq));
  }

  async provisioningCounts(connectorIds: readonly string[]): Promise<Map<string, TaskCounts>> {
    const result = new Map<string, TaskCounts>();
    if (connectorIds.length === 0) return result;
    const rows = this.all(
      `SELECT connector_id, sum(state = 'QUEUED') AS queued, sum(state = 'HELD') AS held,
              sum(state = 'RUNNING') AS running
       FROM provisioning_tasks
       WHERE connector_id IN (SELECT value FROM json_each(?))
         AND state IN ('QUEUED', 'HELD', 'RUNNING')
       GROUP BY connector_id`,
      JSON.stringify(connectorIds),
    );
    for (const row of rows) {
      result.set(String(row.connector_id), {
        queued: Number(row.queued),
        held: Number(row.held),
        running: Number(row.running),
      });
    }
    return result;
  }

  async nextRunnableSync(connectorId: string, now: number): Promise<SyncRecord | null> {
    const row = this.one(
      `SELECT s.* FROM sync_lifecycles s
       WHERE s.connector_id = ? AND s.state = 'QUEUED' AND s.run_after <= ?
         AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                         WHERE t.connector_id = s.connector_id AND t.state IN ('QUEUED', 'RUNNING'))`,
      connectorId,
      now,
    );
    return row ? syncFromRow(row) : null;
  }
  async nextRunnableTask(connectorId: string): Promise<ProvisioningTaskRecord | null> {
    const row = this.one(
      `SELECT t.* FROM provisioning_tasks t
       WHERE t.connector_id = ? AND t.state = 'QUEUED'
         AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                         WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
       ORDER BY t.seq LIMIT 1`,
      connectorId,
    );
    return row ? taskFromRow(row) : null;
  }
  async expiredLeases(now: number, limit: number): Promise<SyncRecord[]> {
    return this.all(
      `SELECT * FROM sync_lifecycles WHERE state = 'RUNNING' AND lease_expires_at < ?
       ORDER BY lease_expires_at LIMIT ?`,
      now,
      limit,
    ).map(syncFromRow);
  }
  async expiredTaskLeases(now: number, limit: number): Promise<ProvisioningTaskRecord[]> {
    return this.all(
      `SELECT * FROM provisioning_tasks WHERE state = 'RUNNING' AND lease_expires_at < ?
       ORDER BY lease_expires_at LIMIT ?`,
      now,
      limit,
    ).map(taskFromRow);
  }
  async getPresence(connectorIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const result = new Map<string, PresenceRecord>();
    if (connectorIds.length === 0) return result;
    const rows = this.all(
      "SELECT * FROM connector_presence WHERE connector_id IN (SELECT value FROM json_each(?))",
      JSON.stringify(connectorIds),
    );
    for (const row of rows) result.set(String(row.connector_id), presenceFromRow(row));
    return result;
  }

  async getSetting(key: string): Promise<string | null> {
    const row = this.one("SELECT value FROM settings WHERE key = ?", key);
    return row ? String(row.value) : null;
  }

  async listAuditEvents(query: AuditQuery): Promise<Page<AuditEvent>> {
    const before = query.after === null ? Number.MAX_SAFE_INTEGER : Number(query.after);
    if (!Number.isSafeInteger(before)) throw invalidPageToken();
    const rows =
      query.objectId !== undefined
        ? this.all(
            `SELECT * FROM audit_events WHERE object_id = ? AND (? IS NULL OR object_type = ?) AND seq < ?
             ORDER BY seq DESC LIMIT ?`,
            query.objectId,
            query.objectType ?? null,
            query.objectType ?? null,
            before,
            query.pageSize + 1,
          )
        : this.all(
            `SELECT * FROM audit_events WHERE (? IS NULL OR object_type = ?) AND seq < ?
             ORDER BY seq DESC LIMIT ?`,
            query.objectType ?? null,
            query.objectType ?? null,
            before,
            query.pageSize + 1,
          );
    return page(rows, query.pageSize, auditFromRow, (row) => String(row.seq));
  }
}

class SqliteTx extends SqliteReader implements StoreTx {
  /** Records the sync's state as it is now in its history (after every transition). */
  private recordEvent(syncId: string, at: number): void {
    this.run(
      `INSERT INTO sync_events (sync_id, seq, at, state, attempt, error)
       SELECT id, coalesce((SELECT max(seq) FROM sync_events e WHERE e.sync_id = s.id), 0) + 1, ?, state, attempt, error
       FROM sync_lifecycles s WHERE id = ?`,
      at,
      syncId,
    );
  }

  async lockApp(id: string): Promise<AppRecord | null> {
    // BEGIN IMMEDIATE already holds the database write lock for the whole transaction.
    return this.getApp(id);
  }

  async putSetting(key: string, value: string, now: number): Promise<void> {
    this.run(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      key,
      value,
      now,
    );
  }

  private run(sql: string, ...params: unknown[]): number {
    return this.stmt(sql).run(...params).changes;
  }

  async insertApp(app: AppRecord): Promise<void> {
    this.run(
      `INSERT INTO apps (id, display_name, description, attributes, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      app.id,
      app.displayName,
      app.description,
      JSON.stringify(app.attributes),
      app.createdAt,
      app.updatedAt,
    );
  }

  async updateApp(id: string, patch: AppPatch, now: number): Promise<void> {
    this.run(
      `UPDATE apps SET display_name = coalesce(?, display_name), description = coalesce(?, description),
         attributes = coalesce(?, attributes), updated_at = ? WHERE id = ?`,
      patch.displayName ?? null,
      patch.description ?? null,
      patch.attributes ? JSON.stringify(patch.attributes) : null,
      now,
      id,
    );
  }

  async deleteApp(id: string, now: number): Promise<void> {
    this.run("UPDATE apps SET deleted_at = ?, updated_at = ? WHERE id = ?", now, now, id);
  }

  async countConnectors(appId: string): Promise<number> {
    const row = this.one(
      "SELECT count(*) AS n FROM connectors WHERE app_id = ? AND deleted_at IS NULL",
      appId,
    );
    return Number(row?.n ?? 0);
  }

  async insertConnector(c: ConnectorRecord): Promise<void> {
    this.run(
      `INSERT INTO connectors (id, app_id, display_name, description, catalog_id, config,
         config_updated_at, disable_check_bad_sync, sync_resource_type_ids, user_ids,
         drop_threshold_percent, drop_min_rows, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    );
  }

  async lockConnector(appId: string, id: string): Promise<ConnectorRecord | null> {
    // BEGIN IMMEDIATE already holds the database write lock for the whole transaction.
    return this.getConnector(appId, id);
  }

  async updateConnector(id: string, patch: ConnectorPatch, now: number): Promise<void> {
    const has = (key: keyof ConnectorPatch) => (patch[key] === undefined ? 0 : 1);
    this.run(
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
      now,
      id,
    );
  }

  async deleteConnector(id: string, now: number): Promise<void> {
    this.run("UPDATE connectors SET deleted_at = ?, updated_at = ? WHERE id = ?", now, now, id);
    this.run("DELETE FROM holds WHERE connector_id = ?", id);
  }

  async setConnectorSyncStatus(id: string, status: ConnectorSyncStatus): Promise<void> {
    this.run(
      `UPDATE connectors SET sync_status = ?, sync_started_at = ?, sync_completed_at = ?,
         sync_status_updated_at = ?, sync_last_error = ? WHERE id = ?`,
      status.status,
      status.startedAt,
      status.completedAt,
      status.updatedAt,
      status.lastError,
      id,
    );
  }

  async insertHold(connectorId: string, hold: Hold): Promise<boolean> {
    return (
      this.run(
        `INSERT INTO holds (connector_id, kind, actor, note, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (connector_id, kind) DO NOTHING`,
        connectorId,
        hold.kind,
        hold.actor,
        hold.note,
        hold.createdAt,
      ) > 0
    );
  }

  async deleteHold(connectorId: string, kind: HoldKind): Promise<boolean> {
    return this.run("DELETE FROM holds WHERE connector_id = ? AND kind = ?", connectorId, kind) > 0;
  }

  async upsertSchedule(s: ScheduleRecord): Promise<void> {
    this.run(
      `INSERT INTO schedules (connector_id, cron_spec, timezone, start_at, next_fire_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (connector_id) DO UPDATE SET cron_spec = excluded.cron_spec,
         timezone = excluded.timezone, start_at = excluded.start_at,
         next_fire_at = excluded.next_fire_at, updated_at = excluded.updated_at`,
      s.connectorId,
      s.cronSpec,
      s.timezone,
      s.startAt,
      s.nextFireAt,
      s.updatedAt,
    );
  }

  async deleteSchedule(connectorId: string): Promise<boolean> {
    return this.run("DELETE FROM schedules WHERE connector_id = ?", connectorId) > 0;
  }

  async claimDueSchedules(now: number, limit: number): Promise<ScheduleRecord[]> {
    return this.all(
      "SELECT * FROM schedules WHERE next_fire_at <= ? ORDER BY next_fire_at LIMIT ?",
      now,
      limit,
    ).map(scheduleFromRow);
  }

  async setNextFire(connectorId: string, nextFireAt: number | null, now: number): Promise<void> {
    this.run(
      "UPDATE schedules SET next_fire_at = ?, updated_at = ? WHERE connector_id = ?",
      nextFireAt,
      now,
      connectorId,
    );
  }

  async queueSnapshot(connectorId: string): Promise<{ queued: number; running: number }> {
    // Each probe is answered by a partial unique index, however long the sync history is.
    const row = this.one(
      `SELECT EXISTS (SELECT 1 FROM sync_lifecycles WHERE connector_id = ? AND state = 'QUEUED') AS queued,
              EXISTS (SELECT 1 FROM sync_lifecycles WHERE connector_id = ? AND state = 'RUNNING') AS running`,
      connectorId,
      connectorId,
    );
    return { queued: Number(row?.queued ?? 0), running: Number(row?.running ?? 0) };
  }

  async insertSync(sync: NewSync): Promise<void> {
    this.run(
      `INSERT INTO sync_lifecycles (id, connector_id, app_id, trigger, state, attempt, queued_at,
         run_after, requested_by, updated_at)
       VALUES (?, ?, ?, ?, 'QUEUED', 0, ?, ?, ?, ?)`,
      sync.id,
      sync.connectorId,
      sync.appId,
      sync.trigger,
      sync.queuedAt,
      sync.queuedAt,
      sync.requestedBy,
      sync.queuedAt,
    );
    this.recordEvent(sync.id, sync.queuedAt);
  }

  async cancelQueuedSyncs(connectorId: string, reason: string, now: number): Promise<string[]> {
    const ids = this.all(
      `UPDATE sync_lifecycles SET state = 'CANCELED', error = ?, finished_at = NULL, updated_at = ?
       WHERE connector_id = ? AND state IN (${CANCEL_QUEUED_SYNCS}) RETURNING id`,
      reason,
      now,
      connectorId,
    ).map((row) => String(row.id));
    for (const id of ids) this.recordEvent(id, now);
    return ids;
  }

  async latestFinishedSync(connectorId: string): Promise<SyncRecord | null> {
    const row = this.one(
      `SELECT * FROM sync_lifecycles WHERE connector_id = ? AND finished_at IS NOT NULL
         AND state IN (${FINISHED_LIST})
       ORDER BY finished_at DESC, id DESC LIMIT 1`,
      connectorId,
    );
    return row ? syncFromRow(row) : null;
  }

  async finishSync(id: string, finish: SyncFinish): Promise<boolean> {
    const changed = this.run(
      `UPDATE sync_lifecycles SET state = ?, finished_at = ?, counts = ?, baseline_counts = ?,
         error = ?, exempt_resource_type_ids = ?, lease_owner = NULL, lease_expires_at = NULL,
         updated_at = ? WHERE id = ? AND state IN (SELECT value FROM json_each(?))`,
      finish.state,
      finish.finishedAt,
      finish.counts ? JSON.stringify(finish.counts) : null,
      finish.baselineCounts ? JSON.stringify(finish.baselineCounts) : null,
      finish.error ?? "",
      JSON.stringify(finish.exemptResourceTypeIds ?? []),
      finish.finishedAt,
      id,
      JSON.stringify(syncMoveFrom(["RUNNING"], finish.state)),
    );
    if (changed > 0) this.recordEvent(id, finish.finishedAt);
    return changed > 0;
  }

  async runnableSyncs(
    now: number,
    limit: number,
    exceptCatalogs: readonly string[] = [],
  ): Promise<SyncRecord[]> {
    return this.all(
      `SELECT s.* FROM sync_lifecycles s JOIN connectors c ON c.id = s.connector_id
       WHERE s.state = 'QUEUED' AND s.run_after <= ?
         AND c.catalog_id NOT IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                         WHERE t.connector_id = s.connector_id AND t.state IN ('QUEUED', 'RUNNING'))
       ORDER BY s.run_after, s.id LIMIT ?`,
      now,
      JSON.stringify(exceptCatalogs),
      limit,
    ).map(syncFromRow);
  }

  async startSync(id: string, worker: string, now: number, leaseUntil: number): Promise<boolean> {
    const started =
      this.run(
        `UPDATE sync_lifecycles SET state = 'RUNNING', attempt = attempt + 1, started_at = ?,
           lease_owner = ?, lease_expires_at = ?, updated_at = ?
         WHERE id = ? AND state IN (${START_SYNC})`,
        now,
        worker,
        leaseUntil,
        now,
        id,
      ) > 0;
    if (started) this.recordEvent(id, now);
    return started;
  }

  async renewLease(
    id: string,
    worker: string,
    attempt: number,
    leaseUntil: number,
    now: number,
  ): Promise<boolean> {
    return (
      this.run(
        `UPDATE sync_lifecycles SET lease_expires_at = ?, updated_at = ?
         WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? AND attempt = ?`,
        leaseUntil,
        now,
        id,
        worker,
        attempt,
      ) > 0
    );
  }

  async requeueSync(id: string, runAfter: number, error: string, now: number): Promise<boolean> {
    const changed = this.run(
      `UPDATE sync_lifecycles SET state = 'QUEUED', run_after = ?, error = ?, lease_owner = NULL,
         lease_expires_at = NULL, updated_at = ? WHERE id = ? AND state IN (${REQUEUE_SYNC})`,
      runAfter,
      error,
      now,
      id,
    );
    if (changed > 0) this.recordEvent(id, now);
    return changed > 0;
  }

  async insertInventory(syncId: string, batch: InventoryBatch): Promise<void> {
    for (const t of batch.resourceTypes ?? []) {
      this.run(
        `INSERT INTO inventory_resource_types (sync_id, id, display_name, traits, skip_data_drop_check)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        syncId,
        t.id,
        t.displayName,
        JSON.stringify(t.traits),
        t.skipDataDropCheck ? 1 : 0,
      );
    }
    for (const r of batch.resources ?? []) {
      this.run(
        `INSERT INTO inventory_resources (sync_id, resource_type_id, resource_id, display_name, parent_type_id, parent_id)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        syncId,
        r.resourceTypeId,
        r.resourceId,
        r.displayName,
        r.parent?.resourceTypeId ?? null,
        r.parent?.resourceId ?? null,
      );
    }
    for (const e of batch.entitlements ?? []) {
      this.run(
        `INSERT INTO inventory_entitlements (sync_id, id, resource_type_id, resource_id, slug, display_name)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        syncId,
        e.id,
        e.resourceTypeId,
        e.resourceId,
        e.slug,
        e.displayName,
      );
    }
    for (const g of batch.grants ?? []) {
      this.run(
        `INSERT INTO inventory_grants (sync_id, id, entitlement_id, principal_type_id, principal_id)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        syncId,
        g.id,
        g.entitlementId,
        g.principal.resourceTypeId,
        g.principal.resourceId,
      );
    }
    for (const g of batch.grantPrincipals ?? []) {
      this.run(
        `INSERT INTO inventory_grant_principals (sync_id, principal_type_id, principal_id, grant_id)
         VALUES (?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        syncId,
        g.principal.resourceTypeId,
        g.principal.resourceId,
        g.id,
      );
    }
  }

  async deleteInventory(syncId: string, limit: number): Promise<number> {
    // WITHOUT ROWID tables: delete a bounded slice by primary key.
    const tables: [string, string][] = [
      ["inventory_grant_principals", "principal_type_id, principal_id, grant_id"],
      ["inventory_grants", "id"],
      ["inventory_entitlements", "id"],
      ["inventory_resources", "resource_type_id, resource_id"],
      ["inventory_resource_types", "id"],
    ];
    let left = limit;
    for (const [table, key] of tables) {
      if (left <= 0) break;
      left -= this.run(
        `DELETE FROM ${table} WHERE sync_id = ? AND (${key}) IN (SELECT ${key} FROM ${table} WHERE sync_id = ? LIMIT ?)`,
        syncId,
        syncId,
        left,
      );
    }
    return limit - left;
  }

  async setAppliedSync(connectorId: string, syncId: string, now: number): Promise<void> {
    this.run(
      "UPDATE connectors SET applied_sync_id = ?, updated_at = ? WHERE id = ?",
      syncId,
      now,
      connectorId,
    );
  }

  async supersedeHeldSyncs(connectorId: string, now: number): Promise<string[]> {
    const ids = this.all(
      `UPDATE sync_lifecycles SET state = 'SUPERSEDED', updated_at = ?
       WHERE connector_id = ? AND state IN (${SUPERSEDE_HELD_SYNCS}) RETURNING id`,
      now,
      connectorId,
    ).map((row) => String(row.id));
    for (const id of ids) this.recordEvent(id, now);
    return ids;
  }

  async setSyncState(
    id: string,
    from: readonly SyncState[],
    state: SyncState,
    now: number,
  ): Promise<boolean> {
    const changed = this.run(
      `UPDATE sync_lifecycles SET state = ?, updated_at = ?
       WHERE id = ? AND state IN (SELECT value FROM json_each(?))`,
      state,
      now,
      id,
      JSON.stringify(syncMoveFrom(from, state)),
    );
    if (changed > 0) this.recordEvent(id, now);
    return changed > 0;
  }

  async insertProvisioningTask(input: NewProvisioningTask): Promise<ProvisioningTaskRecord> {
    const { task } = input;
    const inserted = this.run(
      `INSERT INTO provisioning_tasks (id, app_id, connector_id, kind, state, request_key,
         entitlement_id, principal_type_id, principal_id, grant_id, note, requested_by, created_at,
         updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (connector_id, request_key) WHERE state IN ('QUEUED', 'HELD') DO NOTHING`,
      task.id,
      task.appId,
      task.connectorId,
      task.kind,
      task.state,
      input.requestKey,
      task.entitlementId,
      task.principal?.resourceTypeId ?? null,
      task.principal?.resourceId ?? null,
      task.grantId,
      task.note,
      task.requestedBy,
      task.createdAt,
      task.createdAt,
    );
    const row =
      inserted > 0
        ? this.one("SELECT * FROM provisioning_tasks WHERE id = ?", task.id)
        : this.one(
            `SELECT * FROM provisioning_tasks
             WHERE connector_id = ? AND request_key = ? AND state IN ('QUEUED', 'HELD')`,
            task.connectorId,
            input.requestKey,
          );
    return taskFromRow(row as Row);
  }

  private moveTasks(connectorId: string, from: TaskState, to: TaskState, now: number): string[] {
    return this.all(
      `UPDATE provisioning_tasks SET state = ?, updated_at = ?
       WHERE connector_id = ? AND state IN (SELECT value FROM json_each(?)) RETURNING id, seq`,
      to,
      now,
      connectorId,
      JSON.stringify(taskMoveFrom([from], to)),
    )
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((row) => String(row.id));
  }

  async holdQueuedTasks(connectorId: string, now: number): Promise<string[]> {
    return this.moveTasks(connectorId, "QUEUED", "HELD", now);
  }

  async releaseHeldTasks(connectorId: string, now: number): Promise<string[]> {
    return this.moveTasks(connectorId, "HELD", "QUEUED", now);
  }

  async cancelProvisioningTask(id: string, reason: string, now: number): Promise<boolean> {
    return (
      this.run(
        `UPDATE provisioning_tasks SET state = 'CANCELED', error = ?, finished_at = ?, updated_at = ?
         WHERE id = ? AND state IN (${CANCEL_OPEN_TASKS})`,
        reason,
        now,
        now,
        id,
      ) > 0
    );
  }

  async cancelOpenTasks(connectorId: string, reason: string, now: number): Promise<string[]> {
    return this.all(
      `UPDATE provisioning_tasks SET state = 'CANCELED', error = ?, finished_at = ?, updated_at = ?
       WHERE connector_id = ? AND state IN (${CANCEL_OPEN_TASKS}) RETURNING id`,
      reason,
      now,
      now,
      connectorId,
    ).map((row) => String(row.id));
  }

  async runnableTasks(
    limit: number,
    exceptCatalogs: readonly string[] = [],
  ): Promise<ProvisioningTaskRecord[]> {
    return this.all(
      `SELECT t.* FROM provisioning_tasks t JOIN connectors c ON c.id = t.connector_id
       WHERE t.state = 'QUEUED'
         AND c.catalog_id NOT IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                         WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM provisioning_tasks e
                         WHERE e.connector_id = t.connector_id AND e.state = 'QUEUED' AND e.seq < t.seq)
       ORDER BY t.seq LIMIT ?`,
      JSON.stringify(exceptCatalogs),
      limit,
    ).map(taskFromRow);
  }

  async startProvisioningTask(
    id: string,
    worker: string,
    now: number,
    leaseUntil: number,
  ): Promise<boolean> {
    return (
      this.run(
        `UPDATE provisioning_tasks SET state = 'RUNNING', started_at = ?, lease_owner = ?,
           lease_expires_at = ?, updated_at = ?
         WHERE id = ? AND state IN (${START_TASK})`,
        now,
        worker,
        leaseUntil,
        now,
        id,
      ) > 0
    );
  }

  async renewTaskLease(
    id: string,
    worker: string,
    leaseUntil: number,
    now: number,
  ): Promise<boolean> {
    return (
      this.run(
        `UPDATE provisioning_tasks SET lease_expires_at = ?, updated_at = ?
         WHERE id = ? AND state = 'RUNNING' AND lease_owner = ?`,
        leaseUntil,
        now,
        id,
        worker,
      ) > 0
    );
  }

  async finishProvisioningTask(id: string, finish: TaskFinish, worker?: string): Promise<boolean> {
    return (
      this.run(
        `UPDATE provisioning_tasks SET state = ?, finished_at = ?, result = ?, error = ?,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
         WHERE id = ? AND state IN (SELECT value FROM json_each(?))
           AND (? IS NULL OR lease_owner = ?)`,
        finish.state,
        finish.finishedAt,
        finish.result ?? "",
        finish.error ?? "",
        finish.finishedAt,
        id,
        JSON.stringify(taskMoveFrom(["RUNNING"], finish.state)),
        worker ?? null,
        worker ?? null,
      ) > 0
    );
  }

  async recordHello(presence: PresenceRecord): Promise<void> {
    this.run(
      `INSERT INTO connector_presence (connector_id, host_id, sdk, capabilities, hello_at,
         last_seen_at, poll_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (connector_id) DO UPDATE SET host_id = excluded.host_id, sdk = excluded.sdk,
         capabilities = excluded.capabilities, hello_at = excluded.hello_at,
         last_seen_at = excluded.last_seen_at, poll_ms = excluded.poll_ms`,
      presence.connectorId,
      presence.hostId,
      presence.sdk,
      JSON.stringify(presence.capabilities),
      presence.helloAt,
      presence.lastSeenAt,
      presence.pollMs,
    );
  }

  async touchPresence(
    connectorId: string,
    hostId: string,
    now: number,
    pollMs: number,
  ): Promise<void> {
    this.run(
      `INSERT INTO connector_presence (connector_id, host_id, last_seen_at, poll_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (connector_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,
         poll_ms = excluded.poll_ms,
         host_id = CASE WHEN excluded.host_id = '' THEN host_id ELSE excluded.host_id END`,
      connectorId,
      hostId,
      now,
      pollMs,
    );
  }

  async insertCredential(c: CredentialRecord): Promise<void> {
    this.run(
      `INSERT INTO credentials (id, client_id, name, role, connector_id, public_jwk, secret_hash,
         created_at, created_by, revoked_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.id,
      c.clientId,
      c.name,
      c.role,
      c.connectorId,
      JSON.stringify(c.publicJwk),
      c.secretHash,
      c.createdAt,
      c.createdBy,
      c.revokedAt,
      c.lastUsedAt,
    );
  }

  async revokeCredential(id: string, now: number): Promise<boolean> {
    const changed = this.run(
      "UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      now,
      id,
    );
    this.run("DELETE FROM access_tokens WHERE credential_id = ?", id);
    return changed > 0;
  }

  async touchCredential(id: string, now: number): Promise<void> {
    this.run("UPDATE credentials SET last_used_at = ? WHERE id = ?", now, id);
  }

  async insertAccessToken(token: AccessTokenRecord): Promise<void> {
    this.run(
      "INSERT INTO access_tokens (token_hash, credential_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
      token.tokenHash,
      token.credentialId,
      token.issuedAt,
      token.expiresAt,
    );
  }

  async deleteExpiredAccessTokens(now: number): Promise<number> {
    return this.run("DELETE FROM access_tokens WHERE expires_at <= ?", now);
  }

  async insertAuditEvent(e: AuditEvent): Promise<void> {
    this.run(
      `INSERT INTO audit_events (id, at, actor, action, object_type, object_id, request_id, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      e.id,
      e.at,
      e.actor,
      e.action,
      e.objectType,
      e.objectId,
      e.requestId,
      JSON.stringify(e.details),
    );
  }
}

const MIGRATIONS = new URL("./migrations/", import.meta.url);
/** The most commands one group commit carries (see transaction()). */
const MAX_GROUP = 128;

interface PendingCommand {
  readonly fn: (tx: StoreTx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class SqliteStore extends SqliteReader implements Store {
  readonly backend = "sqlite" as const;
  private readonly writer: Db;
  private readonly tx: SqliteTx;
  private readonly control: Record<
    "begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo",
    Database.Statement
  >;
  private readonly checkpointer: Checkpointer;
  private pending: PendingCommand[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;

  private constructor(writer: Db, reader: Db, path: string) {
    super(reader);
    this.writer = writer;
    this.checkpointer = new Checkpointer(path, (error) => {
      process.emitWarning(`syncplane: the SQLite checkpoint thread stopped: ${error.message}`);
    });
    this.tx = new SqliteTx(writer);
    this.control = {
      begin: writer.prepare("BEGIN IMMEDIATE"),
      commit: writer.prepare("COMMIT"),
      rollback: writer.prepare("ROLLBACK"),
      savepoint: writer.prepare("SAVEPOINT command"),
      release: writer.prepare("RELEASE command"),
      rollbackTo: writer.prepare("ROLLBACK TO command"),
    };
  }

  /** Opens (creating if needed) the database file and applies pending migrations. */
  static open(path: string): SqliteStore {
    const writer = openConnection(path, false);
    migrate(writer);
    const reader = openConnection(path, true);
    return new SqliteStore(writer, reader, path);
  }

  /**
   * Runs `fn` as one atomic command. Commands run one at a time on the writer connection, each
   * inside its own SAVEPOINT, and the commands that arrive while others run are committed
   * together (group commit): a command that fails rolls back to its savepoint and leaves the
   * others alone, and no caller hears of success before the COMMIT that makes its change
   * durable. Under load this turns many small commits into a few larger ones.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      // Start the group after the current I/O phase, so that every request that arrived in it
      // has queued its command by then.
      this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        this.drain(),
      );
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, MAX_GROUP);
        const outcomes = await this.runGroup(group);
        group.forEach((command, i) => {
          const outcome = outcomes[i] as Outcome;
          if (outcome.ok) command.resolve(outcome.value);
          else command.reject(outcome.error);
        });
        // Let the requests that arrived meanwhile queue up for the next group.
        if (this.pending.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = null;
    }
  }

  private async runGroup(group: readonly PendingCommand[]): Promise<Outcome[]> {
    const failAll = (error: unknown): Outcome[] => group.map(() => ({ ok: false, error }));
    try {
      this.control.begin.run();
    } catch (error) {
      return failAll(error);
    }
    try {
      const outcomes: Outcome[] = [];
      for (const command of group) {
        this.control.savepoint.run();
        try {
          const value = await command.fn(this.tx);
          this.control.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          // SQLite may have abandoned the whole transaction (I/O error, disk full…); then
          // nothing in this group was kept, and the outer catch fails them all.
          if (!this.writer.inTransaction) throw error;
          this.control.rollbackTo.run();
          this.control.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.control.commit.run();
      return outcomes;
    } catch (error) {
      try {
        if (this.writer.inTransaction) this.control.rollback.run();
      } catch {
        // The connection is unusable; the next BEGIN reports it to its commands.
      }
      return failAll(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
    await this.checkpointer.stop();
    this.db.close();
    this.writer.close();
  }
}

function migrate(db: Db): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const apply = db.transaction(() => {
    const applied = (db.prepare("SELECT version FROM schema_migrations").all() as Row[]).map(
      (row) => Number(row.version),
    );
    for (const migration of pendingMigrations(loadMigrations(MIGRATIONS), applied)) {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
  });
  apply.immediate();
}
