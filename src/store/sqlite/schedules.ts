// Schedules: one per connector, with the next fire time the scheduler claims by.

import type { ScheduleRecord } from "../../domain/model.js";
import { scheduleFromRow } from "../rows.js";
import type { StoreReader, StoreTx } from "../store.js";
import type { SqliteDb } from "./db.js";

export const scheduleReads = (q: SqliteDb) =>
  ({
    async getSchedule(connectorId: string): Promise<ScheduleRecord | null> {
      const row = q.one("SELECT * FROM schedules WHERE connector_id = ?", connectorId);
      return row ? scheduleFromRow(row) : null;
    },

    async getSchedulesFor(connectorIds: readonly string[]): Promise<Map<string, ScheduleRecord>> {
      const result = new Map<string, ScheduleRecord>();
      if (connectorIds.length === 0) return result;
      const rows = q.all(
        "SELECT * FROM schedules WHERE connector_id IN (SELECT value FROM json_each(?))",
        JSON.stringify(connectorIds),
      );
      for (const row of rows) result.set(String(row.connector_id), scheduleFromRow(row));
      return result;
    },

    async nextScheduledFire(): Promise<number | null> {
      const row = q.one(
        "SELECT min(next_fire_at) AS next FROM schedules WHERE next_fire_at IS NOT NULL",
      );
      return row?.next === null || row?.next === undefined ? null : Number(row.next);
    },
  }) satisfies Partial<StoreReader>;

export const scheduleWrites = (q: SqliteDb) =>
  ({
    async upsertSchedule(s: ScheduleRecord): Promise<void> {
      q.run(
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
    },

    async deleteSchedule(connectorId: string): Promise<boolean> {
      return q.run("DELETE FROM schedules WHERE connector_id = ?", connectorId) > 0;
    },

    async claimDueSchedules(now: number, limit: number): Promise<ScheduleRecord[]> {
      return q
        .all(
          "SELECT * FROM schedules WHERE next_fire_at <= ? ORDER BY next_fire_at LIMIT ?",
          now,
          limit,
        )
        .map(scheduleFromRow);
    },

    async setNextFire(connectorId: string, nextFireAt: number | null, now: number): Promise<void> {
      q.run(
        "UPDATE schedules SET next_fire_at = ?, updated_at = ? WHERE connector_id = ?",
        nextFireAt,
        now,
        connectorId,
      );
    },
  }) satisfies Partial<StoreTx>;
