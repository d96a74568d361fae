// Apps: the top of the hierarchy; soft-deleted, never reused.

import type { AppRecord } from "../../domain/model.js";
import { page } from "../paging.js";
import { appFromRow } from "../rows.js";
import type { AppPatch, Page, PageQuery, StoreReader, StoreTx } from "../store.js";
import type { SqliteDb } from "./db.js";

export const appReads = (q: SqliteDb) =>
  ({
    async getApp(id: string): Promise<AppRecord | null> {
      const row = q.one("SELECT * FROM apps WHERE id = ? AND deleted_at IS NULL", id);
      return row ? appFromRow(row) : null;
    },

    async listApps(query: PageQuery): Promise<Page<AppRecord>> {
      const rows = q.all(
        "SELECT * FROM apps WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
        query.after ?? "",
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, appFromRow, (row) => String(row.id));
    },
  }) satisfies Partial<StoreReader>;

export const appWrites = (q: SqliteDb) => {
  const reads = appReads(q);
  return {
    async lockApp(id: string): Promise<AppRecord | null> {
      // BEGIN IMMEDIATE already holds the database write lock for the whole transaction.
      return reads.getApp(id);
    },

    async insertApp(app: AppRecord): Promise<void> {
      q.run(
        `INSERT INTO apps (id, display_name, description, attributes, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        app.id,
        app.displayName,
        app.description,
        JSON.stringify(app.attributes),
        app.createdAt,
        app.updatedAt,
      );
    },

    async updateApp(id: string, patch: AppPatch, now: number): Promise<void> {
      q.run(
        `UPDATE apps SET display_name = coalesce(?, display_name), description = coalesce(?, description),
             attributes = coalesce(?, attributes), updated_at = ? WHERE id = ?`,
        patch.displayName ?? null,
        patch.description ?? null,
        patch.attributes ? JSON.stringify(patch.attributes) : null,
        now,
        id,
      );
    },

    async deleteApp(id: string, now: number): Promise<void> {
      q.run("UPDATE apps SET deleted_at = ?, updated_at = ? WHERE id = ?", now, now, id);
    },
  } satisfies Partial<StoreTx>;
};
