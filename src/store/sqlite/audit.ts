// The audit log and server-wide settings.

import type { AuditEvent } from "../../domain/model.js";
import { invalidPageToken, page } from "../paging.js";
import { auditFromRow } from "../rows.js";
import type { AuditQuery, Page, StoreReader, StoreTx } from "../store.js";
import type { SqliteDb } from "./db.js";

export const auditReads = (q: SqliteDb) =>
  ({
    async getSetting(key: string): Promise<string | null> {
      const row = q.one("SELECT value FROM settings WHERE key = ?", key);
      return row ? String(row.value) : null;
    },

    async listAuditEvents(query: AuditQuery): Promise<Page<AuditEvent>> {
      const before = query.after === null ? Number.MAX_SAFE_INTEGER : Number(query.after);
      if (!Number.isSafeInteger(before)) throw invalidPageToken();
      const rows =
        query.objectId !== undefined
          ? q.all(
              `SELECT * FROM audit_events WHERE object_id = ? AND (? IS NULL OR object_type = ?) AND seq < ?
               ORDER BY seq DESC LIMIT ?`,
              query.objectId,
              query.objectType ?? null,
              query.objectType ?? null,
              before,
              query.pageSize + 1,
            )
          : q.all(
              `SELECT * FROM audit_events WHERE (? IS NULL OR object_type = ?) AND seq < ?
               ORDER BY seq DESC LIMIT ?`,
              query.objectType ?? null,
              query.objectType ?? null,
              before,
              query.pageSize + 1,
            );
      return page(rows, query.pageSize, auditFromRow, (row) => String(row.seq));
    },
  }) satisfies Partial<StoreReader>;

export const auditWrites = (q: SqliteDb) =>
  ({
    async putSetting(key: string, value: string, now: number): Promise<void> {
      q.run(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        key,
        value,
        now,
      );
    },

    async claimSetting(key: string, value: string, now: number): Promise<boolean> {
      return (
        q.run(
          `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO NOTHING`,
          key,
          value,
          now,
        ) > 0
      );
    },

    async insertAuditEvent(e: AuditEvent): Promise<void> {
      q.run(
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
    },
  }) satisfies Partial<StoreTx>;
