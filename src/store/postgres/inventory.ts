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
import type { PgDb } from "./db.js";

/** Numbers placeholders in order for queries whose filters come and go. */
class Params {
  readonly values: unknown[] = [];

  /** The placeholder of `value` (with a cast when given). */
  add(value: unknown, cast = ""): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

export const inventoryReads = (q: PgDb) =>
  ({
    async inventoryRowCounts(syncId: string): Promise<InventoryRowCounts> {
      const row = await q.one(
        `SELECT (SELECT count(*) FROM inventory_resource_types WHERE sync_id = $1) AS types,
                (SELECT count(*) FROM inventory_resources WHERE sync_id = $1) AS resources,
                (SELECT count(*) FROM inventory_entitlements WHERE sync_id = $1) AS entitlements,
                (SELECT count(*) FROM inventory_grants WHERE sync_id = $1) AS grants`,
        syncId,
      );
      return {
        resourceTypes: Number(row?.types ?? 0),
        resources: Number(row?.resources ?? 0),
        entitlements: Number(row?.entitlements ?? 0),
        grants: Number(row?.grants ?? 0),
      };
    },

    async listInventoryResourceTypes(syncId: string): Promise<ResourceTypeRecord[]> {
      const rows = await q.all(
        "SELECT * FROM inventory_resource_types WHERE sync_id = $1 ORDER BY id",
        syncId,
      );
      return rows.map(resourceTypeFromRow);
    },

    async listInventoryResources(
      syncId: string,
      filter: ResourceFilter,
      query: PageQuery,
    ): Promise<Page<ResourceRecord>> {
      const [afterType, afterId] = query.after ? parseKey(query.after, 2) : ["", ""];
      const rows = filter.resourceTypeId
        ? await q.all(
            `SELECT * FROM inventory_resources
             WHERE sync_id = $1 AND resource_type_id = $2 AND resource_id > $3
             ORDER BY resource_type_id, resource_id LIMIT $4`,
            syncId,
            filter.resourceTypeId,
            query.after ? afterId : "",
            query.pageSize + 1,
          )
        : await q.all(
            `SELECT * FROM inventory_resources
             WHERE sync_id = $1 AND (resource_type_id, resource_id) > ($2::text, $3::text)
             ORDER BY resource_type_id, resource_id LIMIT $4`,
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
      const p = new Params();
      const sync = p.add(syncId);
      const byType =
        (filter.resourceTypeId !== undefined
          ? `AND resource_type_id = ${p.add(filter.resourceTypeId)} `
          : "") +
        (filter.resourceId !== undefined ? `AND resource_id = ${p.add(filter.resourceId)}` : "");
      const rows = await q.all(
        `SELECT * FROM inventory_entitlements
         WHERE sync_id = ${sync} ${byType} AND id > ${p.add(after)}
         ORDER BY id LIMIT ${p.add(query.pageSize + 1)}`,
        ...p.values,
      );
      return page(rows, query.pageSize, entitlementFromRow, (row) => JSON.stringify([row.id]));
    },

    async listInventoryGrants(
      syncId: string,
      filter: GrantFilter,
      query: PageQuery,
    ): Promise<Page<GrantRecord>> {
      const p = new Params();
      const sync = p.add(syncId);
      const byEntitlement = () =>
        filter.entitlementId !== undefined
          ? `AND g.entitlement_id = ${p.add(filter.entitlementId)}`
          : "";
      const type = filter.principal?.resourceTypeId;
      const id = filter.principal?.resourceId;
      const grantKey = (row: Row) => JSON.stringify([row.id]);
      if (type !== undefined && id === undefined) {
        // Grants to principals of one type: in the lookup table's order (principal, then grant),
        // so a page is an index range, however many grants the type has.
        const [afterPrincipal, afterGrant] = query.after ? parseKey(query.after, 2) : ["", ""];
        const rows = await q.all(
          `SELECT g.* FROM inventory_grant_principals p
           JOIN inventory_grants g ON g.sync_id = p.sync_id AND g.id = p.grant_id
           WHERE p.sync_id = ${sync} AND p.principal_type_id = ${p.add(type)}
             AND (p.principal_id, p.grant_id) > (${p.add(afterPrincipal, "::text")},
                                                 ${p.add(afterGrant, "::text")})
             ${byEntitlement()}
           ORDER BY p.principal_id, p.grant_id LIMIT ${p.add(query.pageSize + 1)}`,
          ...p.values,
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
            ? `= ${p.add(type)}`
            : `IN (SELECT id FROM inventory_resource_types WHERE sync_id = ${sync})`;
        const rows = await q.all(
          `SELECT g.* FROM inventory_grant_principals p
           JOIN inventory_grants g ON g.sync_id = p.sync_id AND g.id = p.grant_id
           WHERE p.sync_id = ${sync} AND p.principal_type_id ${types}
             AND p.principal_id = ${p.add(id)} AND p.grant_id > ${p.add(after)}
             ${byEntitlement()}
           ORDER BY p.grant_id LIMIT ${p.add(query.pageSize + 1)}`,
          ...p.values,
        );
        return page(rows, query.pageSize, grantFromRow, grantKey);
      }
      const rows = await q.all(
        `SELECT g.* FROM inventory_grants g
         WHERE g.sync_id = ${sync} ${byEntitlement()} AND g.id > ${p.add(after)}
         ORDER BY g.id LIMIT ${p.add(query.pageSize + 1)}`,
        ...p.values,
      );
      return page(rows, query.pageSize, grantFromRow, grantKey);
    },

    async unneededInventorySyncs(limit: number): Promise<string[]> {
      // Every stored sync has resource types (resources, entitlements and grants need them), or a
      // diff (an empty sync compared with its base).
      const rows = await q.all(
        `SELECT DISTINCT t.sync_id FROM (SELECT sync_id FROM inventory_resource_types
                                       UNION SELECT sync_id FROM inventory_diffs) t
         JOIN sync_lifecycles s ON s.id = t.sync_id
         JOIN connectors c ON c.id = s.connector_id
         WHERE s.state <> 'RUNNING'
           AND (c.deleted_at IS NOT NULL
                OR (s.state <> 'ERRORED_NO_DATA'
                    AND c.applied_sync_id IS DISTINCT FROM t.sync_id
                    AND c.previous_applied_sync_id IS DISTINCT FROM t.sync_id))
         LIMIT $1`,
        limit,
      );
      return rows.map((row) => String(row.sync_id));
    },

    async getInventoryEntitlement(syncId: string, id: string): Promise<EntitlementRecord | null> {
      const row = await q.one(
        "SELECT * FROM inventory_entitlements WHERE sync_id = $1 AND id = $2",
        syncId,
        id,
      );
      return row ? entitlementFromRow(row) : null;
    },

    async getInventoryResource(syncId: string, ref: ResourceRef): Promise<ResourceRecord | null> {
      const row = await q.one(
        `SELECT * FROM inventory_resources
         WHERE sync_id = $1 AND resource_type_id = $2 AND resource_id = $3`,
        syncId,
        ref.resourceTypeId,
        ref.resourceId,
      );
      return row ? resourceFromRow(row) : null;
    },

    async getInventoryGrant(syncId: string, id: string): Promise<GrantRecord | null> {
      const row = await q.one(
        "SELECT * FROM inventory_grants WHERE sync_id = $1 AND id = $2",
        syncId,
        id,
      );
      return row ? grantFromRow(row) : null;
    },
  }) satisfies Partial<StoreReader>;

export const inventoryWrites = (q: PgDb) =>
  ({
    async insertInventory(syncId: string, batch: InventoryBatch): Promise<void> {
      // One statement per kind, whatever the batch holds: its columns go in as arrays.
      const types = batch.resourceTypes ?? [];
      if (types.length > 0) {
        await q.run(
          `INSERT INTO inventory_resource_types (sync_id, id, display_name, traits,
             skip_data_drop_check)
           SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::smallint[])
           ON CONFLICT DO NOTHING`,
          syncId,
          types.map((t) => t.id),
          types.map((t) => t.displayName),
          types.map((t) => JSON.stringify(t.traits)),
          types.map((t) => (t.skipDataDropCheck ? 1 : 0)),
        );
      }
      const resources = batch.resources ?? [];
      if (resources.length > 0) {
        await q.run(
          `INSERT INTO inventory_resources (sync_id, resource_type_id, resource_id, display_name,
             parent_type_id, parent_id)
           SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[],
                                          $6::text[])
           ON CONFLICT DO NOTHING`,
          syncId,
          resources.map((r) => r.resourceTypeId),
          resources.map((r) => r.resourceId),
          resources.map((r) => r.displayName),
          resources.map((r) => r.parent?.resourceTypeId ?? null),
          resources.map((r) => r.parent?.resourceId ?? null),
        );
      }
      const entitlements = batch.entitlements ?? [];
      if (entitlements.length > 0) {
        await q.run(
          `INSERT INTO inventory_entitlements (sync_id, id, resource_type_id, resource_id, slug,
             display_name)
           SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[],
                                          $6::text[])
           ON CONFLICT DO NOTHING`,
          syncId,
          entitlements.map((e) => e.id),
          entitlements.map((e) => e.resourceTypeId),
          entitlements.map((e) => e.resourceId),
          entitlements.map((e) => e.slug),
          entitlements.map((e) => e.displayName),
        );
      }
      const grants = batch.grants ?? [];
      if (grants.length > 0) {
        await q.run(
          `INSERT INTO inventory_grants (sync_id, id, entitlement_id, principal_type_id,
             principal_id)
           SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
           ON CONFLICT DO NOTHING`,
          syncId,
          grants.map((g) => g.id),
          grants.map((g) => g.entitlementId),
          grants.map((g) => g.principal.resourceTypeId),
          grants.map((g) => g.principal.resourceId),
        );
      }
      const principals = batch.grantPrincipals ?? [];
      if (principals.length > 0) {
        await q.run(
          `INSERT INTO inventory_grant_principals (sync_id, principal_type_id, principal_id,
             grant_id)
           SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[])
           ON CONFLICT DO NOTHING`,
          syncId,
          principals.map((g) => g.principal.resourceTypeId),
          principals.map((g) => g.principal.resourceId),
          principals.map((g) => g.id),
        );
      }
    },

    async deleteInventory(syncId: string, limit: number): Promise<number> {
      // No DELETE … LIMIT in PostgreSQL: delete a bounded slice by primary key.
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
        left -= await q.run(
          `DELETE FROM ${table} WHERE sync_id = $1
             AND (${key}) IN (SELECT ${key} FROM ${table} WHERE sync_id = $1 LIMIT $2)`,
          syncId,
          left,
        );
      }
      return limit - left;
    },

    async setAppliedSync(connectorId: string, syncId: string, now: number): Promise<void> {
      await q.run(
        `UPDATE connectors SET previous_applied_sync_id = applied_sync_id, applied_sync_id = $1,
           updated_at = $2 WHERE id = $3 AND applied_sync_id IS DISTINCT FROM $1`,
        syncId,
        now,
        connectorId,
      );
    },
  }) satisfies Partial<StoreTx>;
