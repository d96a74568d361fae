// Schedules: one per connector, with the next fire time the scheduler claims by.

import type { ScheduleRecord } from "../../domain/model.js";
import { scheduleFromRow } from "../rows.js";
import type { ScheduleFire, StoreReader, StoreTx } from "../store.js";
import { RUNNABLE_WITHOUT_CONFIG, SCHEDULE_BLOCKING_HOLDS, sqlList } from "../transitions.js";
import type { PgDb } from "./db.js";
import { recorded } from "./queue.js";

// Domain rules compiled into the fire statement (see ../transitions.ts).
const RUNNABLE_BARE = `ARRAY[${sqlList(RUNNABLE_WITHOUT_CONFIG)}]::text[]`;
const SCHEDULE_BLOCKED = `ARRAY[${sqlList(SCHEDULE_BLOCKING_HOLDS)}]::text[]`;

export const scheduleReads = (q: PgDb) =>
  ({
    async getSchedule(connectorId: string): Promise<ScheduleRecord | null> {
      const row = await q.one("SELECT * FROM schedules WHERE connector_id = $1", connectorId);
      return row ? scheduleFromRow(row) : null;
    },

    async getSchedulesFor(connectorIds: readonly string[]): Promise<Map<string, ScheduleRecord>> {
      const result = new Map<string, ScheduleRecord>();
      if (connectorIds.length === 0) return result;
      const rows = await q.all(
        "SELECT * FROM schedules WHERE connector_id = ANY($1::text[])",
        connectorIds,
      );
      for (const row of rows) result.set(String(row.connector_id), scheduleFromRow(row));
      return result;
    },

    async nextScheduledFire(): Promise<number | null> {
      const row = await q.one(
        "SELECT min(next_fire_at) AS next FROM schedules WHERE next_fire_at IS NOT NULL",
      );
      return row?.next === null || row?.next === undefined ? null : Number(row.next);
    },
  }) satisfies Partial<StoreReader>;

export const scheduleWrites = (q: PgDb) =>
  ({
    async upsertSchedule(s: ScheduleRecord): Promise<void> {
      await q.run(
        `INSERT INTO schedules (connector_id, cron_spec, timezone, start_at, next_fire_at,
           updated_at, max_age_ms, expected_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
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
      return (await q.run("DELETE FROM schedules WHERE connector_id = $1", connectorId)) > 0;
    },

    async claimDueSchedules(now: number, limit: number): Promise<ScheduleRecord[]> {
      // The schedule and its connector, locked (store.ts, concurrency rule 2): schedules another
      // scheduler holds are skipped, not waited for (it fires them), and so are connectors a
      // command holds locked (they fire in a later round).
      const rows = await q.all(
        `SELECT s.* FROM schedules s JOIN connectors c ON c.id = s.connector_id
         WHERE s.next_fire_at <= $1 ORDER BY s.next_fire_at LIMIT $2
         FOR UPDATE OF s, c SKIP LOCKED`,
        now,
        limit,
      );
      return rows.map(scheduleFromRow);
    },

    async fireSchedules(
      fires: readonly ScheduleFire[],
      requestedBy: string,
      now: number,
    ): Promise<string[]> {
      if (fires.length === 0) return [];
      // The fired set as rows (connector id, next fire, sync id), from one array per column.
      const fired = `unnest($2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY
                       AS f (connector_id, next_fire_at, sync_id, n)`;
      const columns = [
        fires.map((fire) => fire.connectorId),
        fires.map((fire) => fire.nextFireAt),
        fires.map((fire) => fire.syncId),
      ];
      await q.run(
        `UPDATE schedules SET next_fire_at = f.next_fire_at, updated_at = $1
         FROM ${fired} WHERE schedules.connector_id = f.connector_id`,
        now,
        ...columns,
      );
      // ON CONFLICT DO NOTHING: a sync queued meanwhile by another transaction wins (coalesced).
      const rows = await q.all(
        recorded(
          `INSERT INTO sync_lifecycles (id, connector_id, app_id, trigger, state, attempt,
             queued_at, run_after, requested_by, updated_at)
           SELECT f.sync_id, c.id, c.app_id, 'SCHEDULE', 'QUEUED', 0, $1, $1, $5, $1
           FROM ${fired} JOIN connectors c ON c.id = f.connector_id
           WHERE c.deleted_at IS NULL
             AND (c.config IS NOT NULL OR c.catalog_id = ANY(${RUNNABLE_BARE}))
             AND NOT EXISTS (SELECT 1 FROM holds h
                             WHERE h.connector_id = c.id AND h.kind = ANY(${SCHEDULE_BLOCKED}))
             AND NOT EXISTS (SELECT 1 FROM sync_lifecycles s
                             WHERE s.connector_id = c.id AND s.state = 'QUEUED')
           ORDER BY f.n
           ON CONFLICT DO NOTHING`,
          "$1",
        ),
        now,
        ...columns,
        requestedBy,
      );
      return rows.map((row) => String(row.sync_id));
    },

    async setNextFire(
      connectorId: string,
      nextFireAt: number | null,
      now: number,
      expectedMs?: number,
    ): Promise<void> {
      await q.run(
        `UPDATE schedules SET next_fire_at = $1, updated_at = $2,
           expected_ms = coalesce($3::bigint, expected_ms)
         WHERE connector_id = $4`,
        nextFireAt,
        now,
        expectedMs ?? null,
        connectorId,
      );
    },
  }) satisfies Partial<StoreTx>;
