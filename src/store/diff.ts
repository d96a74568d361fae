// The data-drop diff's storage (domain/diff.ts), one implementation for both backends: the SQL
// is the same on SQLite and PostgreSQL (row values, ON CONFLICT DO NOTHING, correlated NOT
// EXISTS), so it is written once with `?` placeholders and numbered for PostgreSQL.
//
// A diff of sync S against base B is worked out in slices: each slice takes the next `limit`
// keys of one side of one lane (removed: B's rows, added: S's rows) and inserts those the other
// side lacks into inventory_diff_rows — an index probe per key, never a scan of the other side.
// Its totals are then counted from those rows. Pages are ranges of inventory_diff_rows' key,
// joined to the side that has the row for its columns.

import {
  DIFF_CHANGES,
  DIFF_KINDS,
  diffTotals,
  type DiffChange,
  type DiffItem,
  type DiffKind,
  type DiffLane,
  type DiffTotals,
} from "../domain/diff.js";
import { parseKey } from "./paging.js";
import { entitlementFromRow, grantFromRow, resourceFromRow, str, type Row } from "./rows.js";
import { marks, type Dialect, type PortableSql } from "./portable.js";
import type { Page, PageQuery } from "./store.js";

interface Shape {
  readonly table: string;
  readonly key: readonly string[];
  /** The row's resource type, from table alias `a`. */
  readonly type: string;
  readonly item: string;
  readonly map: (row: Row) => Omit<DiffItem, "change" | "resourceTypeId">;
}

const SHAPES: Record<DiffKind, Shape> = {
  resources: {
    table: "inventory_resources",
    key: ["resource_type_id", "resource_id"],
    type: "a.resource_type_id",
    item: "resource_id",
    map: (row) => ({ kind: "resources", resource: resourceFromRow(row) }),
  },
  entitlements: {
    table: "inventory_entitlements",
    key: ["id"],
    type: "a.resource_type_id",
    item: "id",
    map: (row) => ({ kind: "entitlements", entitlement: entitlementFromRow(row) }),
  },
  grants: {
    table: "inventory_grants",
    key: ["id"],
    // A grant counts under its entitlement's resource type (as SyncCounts.grantsByResourceType).
    type: `COALESCE((SELECT e.resource_type_id FROM inventory_entitlements e
                      WHERE e.sync_id = a.sync_id AND e.id = a.entitlement_id), '')`,
    item: "id",
    map: (row) => ({ kind: "grants", grant: grantFromRow(row) }),
  },
};

const cols = (alias: string, key: readonly string[]) => key.map((k) => `${alias}.${k}`).join(", ");

/** '' stands for "no base" in the tables' keys. */
const baseKey = (baseSyncId: string | null) => baseSyncId ?? "";

export const diffReads = (q: PortableSql, dialect: Dialect) => {
  const sql = dialect.placeholders;
  return {
    /** The diff's header: null when none was started, totals null while it is worked out. */
    async getInventoryDiff(
      syncId: string,
      baseSyncId: string | null,
    ): Promise<{ readonly totals: DiffTotals | null } | null> {
      const row = await q.one(
        sql("SELECT totals FROM inventory_diffs WHERE sync_id = ? AND base_sync_id = ?"),
        syncId,
        baseKey(baseSyncId),
      );
      if (!row) return null;
      return { totals: row.totals === null ? null : (JSON.parse(str(row.totals)) as DiffTotals) };
    },

    /** One page of one lane, by resource type then id, optionally of one resource type. */
    async listInventoryDiff(
      syncId: string,
      baseSyncId: string | null,
      lane: DiffLane,
      resourceTypeId: string | undefined,
      query: PageQuery,
    ): Promise<Page<DiffItem>> {
      const shape = SHAPES[lane.kind];
      const [afterType, afterItem] = query.after ? parseKey(query.after, 2) : ["", ""];
      const source = lane.change === "added" ? syncId : baseKey(baseSyncId);
      const join = shape.key
        .map((k) => `r.${k} = d.${k === "resource_type_id" ? "resource_type_id" : "item_id"}`)
        .join(" AND ");
      const range =
        resourceTypeId === undefined
          ? "(d.resource_type_id, d.item_id) > (?, ?)"
          : "d.resource_type_id = ? AND d.item_id > ?";
      const rows = await q.all(
        sql(`SELECT d.resource_type_id AS diff_type_id, d.item_id AS diff_item_id, r.*
               FROM inventory_diff_rows d
               JOIN ${shape.table} r ON r.sync_id = ? AND ${join}
              WHERE d.sync_id = ? AND d.base_sync_id = ? AND d.kind = ? AND d.change = ?
                AND ${range}
              ORDER BY d.resource_type_id, d.item_id LIMIT ?`),
        source,
        syncId,
        baseKey(baseSyncId),
        lane.kind,
        lane.change,
        resourceTypeId ?? afterType,
        resourceTypeId !== undefined && afterType !== resourceTypeId ? "" : afterItem,
        query.pageSize + 1,
      );
      const kept = rows.slice(0, query.pageSize);
      const last = kept.at(-1);
      return {
        items: kept.map(
          (row) =>
            ({
              change: lane.change,
              resourceTypeId: str(row.diff_type_id),
              ...shape.map(row),
            }) as DiffItem,
        ),
        nextKey:
          rows.length > query.pageSize && last
            ? JSON.stringify([str(last.diff_type_id), str(last.diff_item_id)])
            : null,
      };
    },
  };
};

export const diffWrites = (q: PortableSql, dialect: Dialect) => {
  const sql = dialect.placeholders;
  return {
    /** Starts a diff (a header without totals) unless one exists. */
    async startInventoryDiff(syncId: string, baseSyncId: string | null, now: number) {
      await q.run(
        sql(`INSERT INTO inventory_diffs (sync_id, base_sync_id, totals, created_at)
             VALUES (?, ?, NULL, ?) ON CONFLICT DO NOTHING`),
        syncId,
        baseKey(baseSyncId),
        now,
      );
    },

    /**
     * Works out the next slice of one lane: up to `limit` rows of its side after `after` (a key
     * this method returned; null: from the start). Returns the key to go on from, null when the
     * lane is done, or "gone" when the diff was deleted meanwhile (a sync's rows went).
     */
    async diffInventorySlice(
      syncId: string,
      baseSyncId: string | null,
      lane: DiffLane,
      after: string | null,
      limit: number,
    ): Promise<string | null | "gone"> {
      const header = await q.one(
        sql(`SELECT 1 AS present FROM inventory_diffs
              WHERE sync_id = ? AND base_sync_id = ? ${dialect.forShare}`),
        syncId,
        baseKey(baseSyncId),
      );
      if (!header) return "gone";
      const shape = SHAPES[lane.kind];
      const [side, other] =
        lane.change === "added" ? [syncId, baseKey(baseSyncId)] : [baseKey(baseSyncId), syncId];
      const start = after === null ? shape.key.map(() => "") : parseKey(after, shape.key.length);
      const end = await q.one(
        sql(`SELECT ${cols("a", shape.key)} FROM ${shape.table} a
              WHERE a.sync_id = ? AND (${cols("a", shape.key)}) > (${marks(shape.key.length)})
              ORDER BY ${cols("a", shape.key)} LIMIT 1 OFFSET ?`),
        side,
        ...start,
        limit - 1,
      );
      const endKey = end ? shape.key.map((k) => str(end[k])) : null;
      await q.run(
        sql(`INSERT INTO inventory_diff_rows
               (sync_id, base_sync_id, kind, change, resource_type_id, item_id)
             SELECT ?, ?, ?, ?, ${shape.type}, a.${shape.item} FROM ${shape.table} a
              WHERE a.sync_id = ? AND (${cols("a", shape.key)}) > (${marks(shape.key.length)})
                ${endKey ? `AND (${cols("a", shape.key)}) <= (${marks(shape.key.length)})` : ""}
                AND NOT EXISTS (SELECT 1 FROM ${shape.table} b WHERE b.sync_id = ?
                                AND ${shape.key.map((k) => `b.${k} = a.${k}`).join(" AND ")})
             ON CONFLICT DO NOTHING`),
        syncId,
        baseKey(baseSyncId),
        lane.kind,
        lane.change,
        side,
        ...start,
        ...(endKey ?? []),
        other,
      );
      return endKey ? JSON.stringify(endKey) : null;
    },

    /** Counts the worked-out rows into the header's totals; null when the diff was deleted. */
    async finishInventoryDiff(
      syncId: string,
      baseSyncId: string | null,
    ): Promise<DiffTotals | null> {
      const counts = await q.all(
        sql(`SELECT kind, change, resource_type_id, count(*) AS n FROM inventory_diff_rows
              WHERE sync_id = ? AND base_sync_id = ?
              GROUP BY kind, change, resource_type_id`),
        syncId,
        baseKey(baseSyncId),
      );
      const totals = diffTotals(
        counts.map((row) => ({
          kind: str(row.kind) as DiffKind,
          change: str(row.change) as DiffChange,
          resourceTypeId: str(row.resource_type_id),
          n: Number(row.n),
        })),
      );
      const updated = await q.run(
        sql("UPDATE inventory_diffs SET totals = ? WHERE sync_id = ? AND base_sync_id = ?"),
        JSON.stringify(totals),
        syncId,
        baseKey(baseSyncId),
      );
      return updated > 0 ? totals : null;
    },

    /**
     * Deletes up to `limit` rows of the diffs `syncId` takes part in (as the sync or the base);
     * a diff's header goes with its last rows. Returns how many rows went.
     */
    async deleteInventoryDiffs(syncId: string, limit: number): Promise<number> {
      const headers = await q.all(
        sql(`SELECT sync_id, base_sync_id FROM inventory_diffs WHERE sync_id = ?
             UNION ALL
             SELECT sync_id, base_sync_id FROM inventory_diffs WHERE base_sync_id = ?`),
        syncId,
        syncId,
      );
      let left = limit;
      for (const header of headers) {
        if (left <= 0) break;
        const pair = [str(header.sync_id), str(header.base_sync_id)];
        // Locked first (PostgreSQL: waits for a slice that holds it, and keeps later slices
        // out until this commits); it goes once its rows are all gone.
        await q.one(
          sql(`SELECT 1 AS present FROM inventory_diffs
                WHERE sync_id = ? AND base_sync_id = ? ${dialect.forUpdate}`),
          ...pair,
        );
        const deleted = await q.run(
          sql(`DELETE FROM inventory_diff_rows
                WHERE (sync_id, base_sync_id, kind, change, resource_type_id, item_id) IN
                      (SELECT sync_id, base_sync_id, kind, change, resource_type_id, item_id
                         FROM inventory_diff_rows WHERE sync_id = ? AND base_sync_id = ? LIMIT ?)`),
          ...pair,
          left,
        );
        left -= deleted;
        if (left > 0) {
          left -= await q.run(
            sql("DELETE FROM inventory_diffs WHERE sync_id = ? AND base_sync_id = ?"),
            ...pair,
          );
        }
      }
      return limit - left;
    },
  };
};

/** Every lane in listing order (for callers that walk a whole diff). */
export const ALL_LANES: readonly DiffLane[] = DIFF_KINDS.flatMap((kind) =>
  DIFF_CHANGES.map((change) => ({ kind, change })),
);
