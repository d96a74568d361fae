// Apps: the top of the hierarchy; soft-deleted, never reused.

import type { AppRecord } from "../../domain/model.js";
import { page } from "../paging.js";
import { appFromRow } from "../rows.js";
import type { AppPatch, Page, PageQuery, StoreReader, StoreTx } from "../store.js";
import type { PgDb } from "./db.js";

export const appReads = (q: PgDb) =>
  ({
    async getApp(id: string): Promise<AppRecord | null> {
      const row = await q.one("SELECT * FROM apps WHERE id = $1 AND deleted_at IS NULL", id);
      return row ? appFromRow(row) : null;
    },

    async listApps(query: PageQuery): Promise<Page<AppRecord>> {
      const rows = await q.all(
        "SELECT * FROM apps WHERE deleted_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
        query.after ?? "",
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, appFromRow, (row) => String(row.id));
    },
  }) satisfies Partial<StoreReader>;

export const appWrites = (q: PgDb) =>
  ({
    async lockApp(id: string): Promise<AppRecord | null> {
      // The row lock holds off concurrent commands on this app until the transaction ends.
      const row = await q.one(
        "SELECT * FROM apps WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id,
      );
      return row ? appFromRow(row) : null;
    },

    async insertApp(app: AppRecord): Promise<void> {
      await q.run(
        `INSERT INTO apps (id, display_name, description, attributes, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
        app.id,
        app.displayName,
        app.description,
        JSON.stringify(app.attributes),
        app.createdAt,
        app.updatedAt,
      );
    },

    async updateApp(id: string, patch: AppPatch, now: number): Promise<void> {
      await q.run(
        `UPDATE apps SET display_name = coalesce($1, display_name),
             description = coalesce($2, description), attributes = coalesce($3, attributes),
             updated_at = $4
           WHERE id = $5`,
        patch.displayName ?? null,
        patch.description ?? null,
        patch.attributes ? JSON.stringify(patch.attributes) : null,
        now,
        id,
      );
    },

    async deleteApp(id: string, now: number): Promise<void> {
      await q.run("UPDATE apps SET deleted_at = $1, updated_at = $1 WHERE id = $2", now, id);
    },
  }) satisfies Partial<StoreTx>;
