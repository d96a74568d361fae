// Schedules: one per connector, with the next fire time the scheduler claims by.

import type { ScheduleRecord } from "../../domain/model.js";
import { scheduleFromRow } from "../rows.js";
import type { ScheduleFire, StoreReader, StoreTx } from "../store.js";
import { RUNNABLE_WITHOUT_CONFIG, SCHEDULE_BLOCKING_HOLDS, sqlList } from "../transitions.js";
import type { SqliteDb } from "./db.js";
import { recordEvents } from "./queue.js";

// Domain rules compiled into the fire statement (see ../transitions.ts).
const RUNNABLE_BARE = sqlList(RUNNABLE_WITHOUT_CONFIG);
const SCHEDULE_BLOCKED = sqlList(SCHEDULE_BLOCKING_HOLDS);

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
        `INSERT INTO schedules (connector_id, cron_spec, timezone, start_at, next_fire_at, updated_at,
           max_age_ms, expected_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (connector_id) DO UPDATE SET cron_spec = excluded.cron_spec,
           timezone = excluded.timezone, start_at = excluded.start_at,
           next_fire_at = excluded.next_fire_at, updated_at = excluded.updated_at,
           max_age_ms = excluded.max_age_ms, expected_ms = excluded.expected_ms`,
        s.connectorId,
        s.cronSpec,
        s.timezone,
        s.startAt,
        s.nextFireAt,
        s.updatedAt,
        s.maxAgeMs ?? null,
        s.expectedMs ?? null,
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

    async fireSchedules(
      fires: readonly ScheduleFire[],
      requestedBy: string,
      now: number,
    ): Promise<string[]> {
      if (fires.length === 0) return [];
      const set = JSON.stringify(fires);
      // The fired set as rows: connector id, next fire, sync id.
      const fired = `SELECT value ->> '$.connectorId' AS connector_id,
                            value ->> '$.nextFireAt' AS next_fire_at,
                            value ->> '$.syncId' AS sync_id
                     FROM json_each(?)`;
      q.run(
        `UPDATE schedules SET next_fire_at = f.next_fire_at, updated_at = ?
         FROM (${fired}) f WHERE schedules.connector_id = f.connector_id`,
        now,
        set,
      );
      const queued = q
        .all(
          `INSERT INTO sync_lifecycles (id, connector_id, app_id, trigger, state, attempt,
             queued_at, run_after, requested_by, updated_at)
           SELECT f.sync_id, c.id, c.app_id, 'SCHEDULE', 'QUEUED', 0, ?, ?, ?, ?
           FROM (${fired}) f JOIN connectors c ON c.id = f.connector_id
           WHERE c.deleted_at IS NULL
             AND (c.config IS NOT NULL OR c.catalog_id IN (${RUNNABLE_BARE}))
             AND NOT EXISTS (SELECT 1 FROM holds h
                             WHERE h.connector_id = c.id AND h.kind IN (${SCHEDULE_BLOCKED}))
             AND NOT EXISTS (SELECT 1 FROM sync_lifecycles s
                             WHERE s.connector_id = c.id AND s.state = 'QUEUED')
           ON CONFLICT DO NOTHING
           RETURNING id`,
          now,
          now,
          requestedBy,
          now,
          set,
        )
        .map((row) => String(row.id));
      recordEvents(q, queued, now);
      return queued;
    },

    async setNextFire(
      connectorId: string,
      nextFireAt: number | null,
      now: number,
      expectedMs?: number,
    ): Promise<void> {
      q.run(
        `UPDATE schedules SET next_fire_at = ?, updated_at = ?, expected_ms = coalesce(?, expected_ms)
         WHERE connector_id = ?`,
        nextFireAt,
        now,
        expectedMs ?? null,
        connectorId,
      );
    },
  }) satisfies Partial<StoreTx>;
