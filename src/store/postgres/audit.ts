// The audit log and server-wide settings.

import type { AuditEvent } from "../../domain/model.js";
import { invalidPageToken, page } from "../paging.js";
import { auditFromRow } from "../rows.js";
import type { AuditQuery, Page, StoreReader, StoreTx } from "../store.js";
import type { PgDb } from "./db.js";

export const auditReads = (q: PgDb) =>
  ({
    async getSetting(key: string): Promise<string | null> {
      const row = await q.one("SELECT value FROM settings WHERE key = $1", key);
      return row ? String(row.value) : null;
    },

    async listAuditEvents(query: AuditQuery): Promise<Page<AuditEvent>> {
      const before = query.after === null ? Number.MAX_SAFE_INTEGER : Number(query.after);
      if (!Number.isSafeInteger(before)) throw invalidPageToken();
      const rows =
        query.objectId !== undefined
          ? await q.all(
              `SELECT * FROM audit_events
               WHERE object_id = $1 AND ($2::text IS NULL OR object_type = $2) AND seq < $3
               ORDER BY seq DESC LIMIT $4`,
              query.objectId,
              query.objectType ?? null,
              before,
              query.pageSize + 1,
            )
          : await q.all(
              `SELECT * FROM audit_events WHERE ($1::text IS NULL OR object_type = $1) AND seq < $2
               ORDER BY seq DESC LIMIT $3`,
              query.objectType ?? null,
              before,
              query.pageSize + 1,
            );
      return page(rows, query.pageSize, auditFromRow, (row) => String(row.seq));
    },
  }) satisfies Partial<StoreReader>;

export const auditWrites = (q: PgDb) =>
  ({
    async putSetting(key: string, value: string, now: number): Promise<void> {
      await q.run(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        key,
        value,
        now,
      );
    },

    async claimSetting(key: string, value: string, now: number): Promise<boolean> {
      return (
        (await q.run(
          `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO NOTHING`,
          key,
          value,
          now,
        )) > 0
      );
    },

    async insertAuditEvent(e: AuditEvent): Promise<void> {
      await q.run(
        `INSERT INTO audit_events (id, at, actor, action, object_type, object_id, request_id,
           details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        e.id,
        e.at,
        e.actor,
        e.action,
        e.objectType,
        e.objectId,
        e.requestId,
        JSON.stringify(e.details),
      );
    },
  }) satisfies Partial<StoreTx>;
