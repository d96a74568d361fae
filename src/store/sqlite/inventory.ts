// Stored inventory: each sync's rows under its id; the connector's applied sync is its inventory.

import type {
  EntitlementRecord,
  GrantRecord,
  ResourceRecord,
  ResourceRef,
  ResourceTypeRecord,
} from "../../domain/inventory.js";
import { page, parseKey } from "../paging.js";
import {
  entitlementFromRow,
  grantFromRow,
  resourceFromRow,
  resourceTypeFromRow,
  type Row,
} from "../rows.js";
import type {
  EntitlementFilter,
  GrantFilter,
  InventoryBatch,
  InventoryRowCounts,
  Page,
  PageQuery,
  ResourceFilter,
  StoreReader,
  StoreTx,
} from "../store.js";
import type { SqliteDb } from "./db.js";

export const inventoryReads = (q: SqliteDb) =>
  ({
    async inventoryRowCounts(syncId: string): Promise<InventoryRowCounts> {
      const count = (table: string) =>
        Number(q.one(`SELECT count(*) AS n FROM ${table} WHERE sync_id = ?`, syncId)?.n ?? 0);
      return {
        resourceTypes: count("inventory_resource_types"),
        resources: count("inventory_resources"),
        entitlements: count("inventory_entitlements"),
        grants: count("inventory_grants"),
      };
    },

    async listInventoryResourceTypes(syncId: string): Promise<ResourceTypeRecord[]> {
      return q
        .all("SELECT * FROM inventory_resource_types WHERE sync_id = ? ORDER BY id", syncId)
        .map(resourceTypeFromRow);
    },

    async listInventoryResources(
      syncId: string,
      filter: ResourceFilter,
      query: PageQuery,
    ): Promise<Page<ResourceRecord>> {
      const [afterType, afterId] = query.after ? parseKey(query.after, 2) : ["", ""];
      const rows = filter.resourceTypeId
        ? q.all(
            `SELECT * FROM inventory_resources
             WHERE sync_id = ? AND resource_type_id = ? AND resource_id > ?
             ORDER BY resource_type_id, resource_id LIMIT ?`,
            syncId,
            filter.resourceTypeId,
            query.after ? afterId : "",
            query.pageSize + 1,
          )
        : q.all(
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
    },

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
      const rows = q.all(
        `SELECT * FROM inventory_entitlements
         WHERE sync_id = ? ${byType} AND id > ? ORDER BY id LIMIT ?`,
        syncId,
        ...params,
        after,
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, entitlementFromRow, (row) => JSON.stringify([row.id]));
    },

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
        const rows = q.all(
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
        const rows = q.all(
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
      const rows = q.all(
        `SELECT g.* FROM inventory_grants g
         WHERE g.sync_id = ? ${byEntitlement} AND g.id > ? ORDER BY g.id LIMIT ?`,
        syncId,
        ...entitlement,
        after,
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, grantFromRow, grantKey);
    },

    async unneededInventorySyncs(limit: number): Promise<string[]> {
      // Every stored sync has resource types (resources, entitlements and grants need them), or a
      // diff (an empty sync compared with its base).
      return q
        .all(
          `SELECT DISTINCT t.sync_id FROM (SELECT sync_id FROM inventory_resource_types
                                         UNION SELECT sync_id FROM inventory_diffs) t
         JOIN sync_lifecycles s ON s.id = t.sync_id
         JOIN connectors c ON c.id = s.connector_id
         WHERE s.state <> 'RUNNING'
           AND (c.deleted_at IS NOT NULL
                OR (s.state <> 'ERRORED_NO_DATA' AND c.applied_sync_id IS NOT t.sync_id
                    AND c.previous_applied_sync_id IS NOT t.sync_id))
         LIMIT ?`,
          limit,
        )
        .map((row) => String(row.sync_id));
    },

    async getInventoryEntitlement(syncId: string, id: string): Promise<EntitlementRecord | null> {
      const row = q.one(
        "SELECT * FROM inventory_entitlements WHERE sync_id = ? AND id = ?",
        syncId,
        id,
      );
      return row ? entitlementFromRow(row) : null;
    },

    async getInventoryResource(syncId: string, ref: ResourceRef): Promise<ResourceRecord | null> {
      const row = q.one(
        `SELECT * FROM inventory_resources
         WHERE sync_id = ? AND resource_type_id = ? AND resource_id = ?`,
        syncId,
        ref.resourceTypeId,
        ref.resourceId,
      );
      return row ? resourceFromRow(row) : null;
    },

    async getInventoryGrant(syncId: string, id: string): Promise<GrantRecord | null> {
      const row = q.one("SELECT * FROM inventory_grants WHERE sync_id = ? AND id = ?", syncId, id);
      return row ? grantFromRow(row) : null;
    },
  }) satisfies Partial<StoreReader>;

export const inventoryWrites = (q: SqliteDb) =>
  ({
    async insertInventory(syncId: string, batch: InventoryBatch): Promise<void> {
      for (const t of batch.resourceTypes ?? []) {
        q.run(
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
        q.run(
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
        q.run(
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
        q.run(
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
        q.run(
          `INSERT INTO inventory_grant_principals (sync_id, principal_type_id, principal_id, grant_id)
           VALUES (?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
          syncId,
          g.principal.resourceTypeId,
          g.principal.resourceId,
          g.id,
        );
      }
    },

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
        left -= q.run(
          `DELETE FROM ${table} WHERE sync_id = ? AND (${key}) IN (SELECT ${key} FROM ${table} WHERE sync_id = ? LIMIT ?)`,
          syncId,
          syncId,
          left,
        );
      }
      return limit - left;
    },

    async setAppliedSync(connectorId: string, syncId: string, now: number): Promise<void> {
      q.run(
        `UPDATE connectors SET previous_applied_sync_id = applied_sync_id, applied_sync_id = ?,
           updated_at = ? WHERE id = ? AND applied_sync_id IS NOT ?`,
        syncId,
        now,
        connectorId,
        syncId,
      );
    },
  }) satisfies Partial<StoreTx>;
