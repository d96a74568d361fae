// The sync queue: sync lifecycles, their leases and their event history. Every state change
// is guarded by the domain's state machine (../transitions.ts).

import type { SyncEvent, SyncRecord } from "../../domain/model.js";
import type { SyncProgress } from "../../domain/progress.js";
import { FINISHED_STATES, type SyncState } from "../../domain/syncs.js";
import { page, splitKey } from "../paging.js";
import { connectorFromRow, type Row, syncFromRow } from "../rows.js";
import type {
  ClaimedSyncRow,
  SyncListQuery,
  NewSync,
  Page,
  StoreReader,
  StoreTx,
  SyncClaim,
  SyncFinish,
} from "../store.js";
import { CLAIM_BLOCKING_HOLDS, sqlList, syncMoveFrom } from "../transitions.js";
import type { SqliteDb } from "./db.js";

// Lifecycle guards, checked against the domain's state machines when this module loads.
const FINISHED_LIST = sqlList(FINISHED_STATES);
const CANCEL_QUEUED_SYNCS = sqlList(syncMoveFrom(["QUEUED"], "CANCELED"));
const START_SYNC = sqlList(syncMoveFrom(["QUEUED"], "RUNNING"));
const REQUEUE_SYNC = sqlList(syncMoveFrom(["RUNNING"], "QUEUED"));
const SUPERSEDE_HELD_SYNCS = sqlList(syncMoveFrom(["ERRORED_NO_DATA"], "SUPERSEDED"));
const CLAIM_BLOCKED = sqlList(CLAIM_BLOCKING_HOLDS);

/** Records the sync's state as it is now in its history (after every transition). */
function recordEvent(q: SqliteDb, syncId: string, at: number): void {
  q.run(
    `INSERT INTO sync_events (sync_id, seq, at, state, attempt, error)
     SELECT id, coalesce((SELECT max(seq) FROM sync_events e WHERE e.sync_id = s.id), 0) + 1, ?, state, attempt, error
     FROM sync_lifecycles s WHERE id = ?`,
    at,
    syncId,
  );
}

/** recordEvent for many syncs in one statement. */
export function recordEvents(q: SqliteDb, syncIds: readonly string[], at: number): void {
  if (syncIds.length === 0) return;
  q.run(
    `INSERT INTO sync_events (sync_id, seq, at, state, attempt, error)
     SELECT id, coalesce((SELECT max(seq) FROM sync_events e WHERE e.sync_id = s.id), 0) + 1, ?, state, attempt, error
     FROM sync_lifecycles s WHERE id IN (SELECT value FROM json_each(?))`,
    at,
    JSON.stringify(syncIds),
  );
}

export const queueReads = (q: SqliteDb) =>
  ({
    async getSync(connectorId: string, id: string): Promise<SyncRecord | null> {
      const row = q.one(
        "SELECT * FROM sync_lifecycles WHERE id = ? AND connector_id = ?",
        id,
        connectorId,
      );
      return row ? syncFromRow(row) : null;
    },

    async listSyncs(connectorId: string, query: SyncListQuery): Promise<Page<SyncRecord>> {
      const [queuedAt, id] = query.after ? splitKey(query.after) : [Number.MAX_SAFE_INTEGER, ""];
      const states = query.states?.length ? JSON.stringify(query.states) : null;
      const triggers = query.triggers?.length ? JSON.stringify(query.triggers) : null;
      const rows = q.all(
        `SELECT * FROM sync_lifecycles
         WHERE connector_id = ? AND (queued_at, id) < (?, ?)
           AND (? IS NULL OR state IN (SELECT value FROM json_each(?)))
           AND (? IS NULL OR trigger IN (SELECT value FROM json_each(?)))
           AND queued_at >= ? AND queued_at < ?
         ORDER BY queued_at DESC, id DESC LIMIT ?`,
        connectorId,
        queuedAt,
        query.after ? id : "",
        states,
        states,
        triggers,
        triggers,
        query.queuedFrom ?? Number.MIN_SAFE_INTEGER,
        query.queuedBefore ?? Number.MAX_SAFE_INTEGER,
        query.pageSize + 1,
      );
      return page(
        rows,
        query.pageSize,
        syncFromRow,
        (row) => `${String(row.queued_at)}:${String(row.id)}`,
      );
    },

    async listSyncEvents(syncId: string): Promise<SyncEvent[]> {
      return q
        .all("SELECT * FROM sync_events WHERE sync_id = ? ORDER BY seq", syncId)
        .map((row) => ({
          at: Number(row.at),
          state: String(row.state) as SyncState,
          attempt: Number(row.attempt),
          error: String(row.error),
        }));
    },

    async latestSyncsFor(connectorIds: readonly string[]): Promise<Map<string, SyncRecord>> {
      const result = new Map<string, SyncRecord>();
      if (connectorIds.length === 0) return result;
      // One history-index probe per connector.
      const rows = q.all(
        `SELECT s.* FROM json_each(?) c
         JOIN sync_lifecycles s ON s.id = (
           SELECT id FROM sync_lifecycles WHERE connector_id = c.value
           ORDER BY queued_at DESC, id DESC LIMIT 1)`,
        JSON.stringify(connectorIds),
      );
      for (const row of rows) result.set(String(row.connector_id), syncFromRow(row));
      return result;
    },

    async nextRunnableSync(connectorId: string, now: number): Promise<SyncRecord | null> {
      const row = q.one(
        `SELECT s.* FROM sync_lifecycles s
         WHERE s.connector_id = ? AND s.state = 'QUEUED' AND s.run_after <= ?
           AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                           WHERE t.connector_id = s.connector_id AND t.state IN ('QUEUED', 'RUNNING'))`,
        connectorId,
        now,
      );
      return row ? syncFromRow(row) : null;
    },

    async expiredLeases(now: number, limit: number): Promise<SyncRecord[]> {
      return q
        .all(
          `SELECT * FROM sync_lifecycles WHERE state = 'RUNNING' AND lease_expires_at < ?
         ORDER BY lease_expires_at LIMIT ?`,
          now,
          limit,
        )
        .map(syncFromRow);
    },
  }) satisfies Partial<StoreReader>;

export const queueWrites = (q: SqliteDb) =>
  ({
    async queueSnapshot(connectorId: string): Promise<{ queued: number; running: number }> {
      // Each probe is answered by a partial unique index, however long the sync history is.
      const row = q.one(
        `SELECT EXISTS (SELECT 1 FROM sync_lifecycles WHERE connector_id = ? AND state = 'QUEUED') AS queued,
                EXISTS (SELECT 1 FROM sync_lifecycles WHERE connector_id = ? AND state = 'RUNNING') AS running`,
        connectorId,
        connectorId,
      );
      return { queued: Number(row?.queued ?? 0), running: Number(row?.running ?? 0) };
    },

    async insertSync(sync: NewSync): Promise<void> {
      q.run(
        `INSERT INTO sync_lifecycles (id, connector_id, app_id, trigger, state, attempt, queued_at,
           run_after, requested_by, updated_at)
         VALUES (?, ?, ?, ?, 'QUEUED', 0, ?, ?, ?, ?)`,
        sync.id,
        sync.connectorId,
        sync.appId,
        sync.trigger,
        sync.queuedAt,
        sync.queuedAt,
        sync.requestedBy,
        sync.queuedAt,
      );
      recordEvent(q, sync.id, sync.queuedAt);
    },

    async cancelQueuedSyncs(connectorId: string, reason: string, now: number): Promise<string[]> {
      const ids = q
        .all(
          `UPDATE sync_lifecycles SET state = 'CANCELED', error = ?, finished_at = NULL, updated_at = ?
         WHERE connector_id = ? AND state IN (${CANCEL_QUEUED_SYNCS}) RETURNING id`,
          reason,
          now,
          connectorId,
        )
        .map((row) => String(row.id));
      for (const id of ids) recordEvent(q, id, now);
      return ids;
    },

    async latestFinishedSync(connectorId: string): Promise<SyncRecord | null> {
      const row = q.one(
        `SELECT * FROM sync_lifecycles WHERE connector_id = ? AND finished_at IS NOT NULL
           AND state IN (${FINISHED_LIST})
         ORDER BY finished_at DESC, id DESC LIMIT 1`,
        connectorId,
      );
      return row ? syncFromRow(row) : null;
    },

    async finishSync(id: string, finish: SyncFinish): Promise<boolean> {
      const changed = q.run(
        `UPDATE sync_lifecycles SET state = ?, finished_at = ?, counts = ?, baseline_counts = ?,
           error = ?, exempt_resource_type_ids = ?, data_drops = ?, lease_owner = NULL,
           lease_expires_at = NULL, updated_at = ?
         WHERE id = ? AND state IN (SELECT value FROM json_each(?))`,
        finish.state,
        finish.finishedAt,
        finish.counts ? JSON.stringify(finish.counts) : null,
        finish.baselineCounts ? JSON.stringify(finish.baselineCounts) : null,
        finish.error ?? "",
        JSON.stringify(finish.exemptResourceTypeIds ?? []),
        finish.dataDrops?.length ? JSON.stringify(finish.dataDrops) : null,
        finish.finishedAt,
        id,
        JSON.stringify(syncMoveFrom(["RUNNING"], finish.state)),
      );
      if (changed > 0) recordEvent(q, id, finish.finishedAt);
      return changed > 0;
    },

    async runnableSyncs(
      now: number,
      limit: number,
      exceptCatalogs: readonly string[] = [],
    ): Promise<SyncRecord[]> {
      return q
        .all(
          `SELECT s.* FROM sync_lifecycles s JOIN connectors c ON c.id = s.connector_id
         WHERE s.state = 'QUEUED' AND s.run_after <= ?
           AND c.catalog_id NOT IN (SELECT value FROM json_each(?))
           AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                           WHERE t.connector_id = s.connector_id AND t.state IN ('QUEUED', 'RUNNING'))
         ORDER BY s.run_after, s.id LIMIT ?`,
          now,
          JSON.stringify(exceptCatalogs),
          limit,
        )
        .map(syncFromRow);
    },

    async claimSync(claim: SyncClaim): Promise<ClaimedSyncRow | null> {
      // One statement: the single writer hands each sync to one claimer. It starts no earlier
      // than the connector's last sync ended (its status time): a claim made just before that
      // end and run just after it must not read as started while the other still ran.
      const started = `max(?, coalesce((SELECT c.sync_status_updated_at FROM connectors c
                                        WHERE c.id = sync_lifecycles.connector_id), 0))`;
      const row = q.one(
        `UPDATE sync_lifecycles SET state = 'RUNNING', attempt = attempt + 1,
           started_at = ${started}, lease_owner = ?, lease_expires_at = ?, updated_at = ${started}
         WHERE id = (
           SELECT s.id FROM sync_lifecycles s JOIN connectors c ON c.id = s.connector_id
           WHERE s.state IN (${START_SYNC}) AND s.run_after <= ? AND c.deleted_at IS NULL
             AND (? IS NULL OR s.connector_id = ?)
             AND c.catalog_id NOT IN (SELECT value FROM json_each(?))
             AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r
                             WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
             AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                             WHERE t.connector_id = s.connector_id AND t.state IN ('QUEUED', 'RUNNING'))
             AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.connector_id = s.connector_id
                             AND h.kind || ' ' || s.trigger IN (${CLAIM_BLOCKED}))
           ORDER BY s.run_after, s.id LIMIT 1)
         RETURNING *`,
        claim.now,
        claim.owner,
        claim.leaseUntil,
        claim.now,
        claim.now,
        claim.connectorId ?? null,
        claim.connectorId ?? null,
        JSON.stringify(claim.exceptCatalogs ?? []),
      );
      if (!row) return null;
      const startedAt = Number(row.started_at);
      recordEvent(q, String(row.id), startedAt);
      const connector = q.one(
        `UPDATE connectors SET sync_status = 'SYNC_STATUS_RUNNING', sync_started_at = ?,
           sync_status_updated_at = ? WHERE id = ? RETURNING *`,
        startedAt,
        startedAt,
        row.connector_id,
      );
      return { sync: syncFromRow(row), connector: connectorFromRow(connector as Row) };
    },

    async startSync(id: string, worker: string, now: number, leaseUntil: number): Promise<boolean> {
      const started =
        q.run(
          `UPDATE sync_lifecycles SET state = 'RUNNING', attempt = attempt + 1, started_at = ?,
             lease_owner = ?, lease_expires_at = ?, updated_at = ?
           WHERE id = ? AND state IN (${START_SYNC})`,
          now,
          worker,
          leaseUntil,
          now,
          id,
        ) > 0;
      if (started) recordEvent(q, id, now);
      return started;
    },

    async renewLease(
      id: string,
      worker: string,
      attempt: number,
      leaseUntil: number,
      now: number,
      progress?: SyncProgress,
    ): Promise<boolean> {
      return (
        q.run(
          `UPDATE sync_lifecycles SET lease_expires_at = ?, updated_at = ?,
             progress = COALESCE(?, progress)
           WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? AND attempt = ?`,
          leaseUntil,
          now,
          progress ? JSON.stringify(progress) : null,
          id,
          worker,
          attempt,
        ) > 0
      );
    },

    async requeueSync(id: string, runAfter: number, error: string, now: number): Promise<boolean> {
      const changed = q.run(
        `UPDATE sync_lifecycles SET state = 'QUEUED', run_after = ?, error = ?, lease_owner = NULL,
           lease_expires_at = NULL, updated_at = ? WHERE id = ? AND state IN (${REQUEUE_SYNC})`,
        runAfter,
        error,
        now,
        id,
      );
      if (changed > 0) recordEvent(q, id, now);
      return changed > 0;
    },

    async supersedeHeldSyncs(connectorId: string, now: number): Promise<string[]> {
      const ids = q
        .all(
          `UPDATE sync_lifecycles SET state = 'SUPERSEDED', updated_at = ?
         WHERE connector_id = ? AND state IN (${SUPERSEDE_HELD_SYNCS}) RETURNING id`,
          now,
          connectorId,
        )
        .map((row) => String(row.id));
      for (const id of ids) recordEvent(q, id, now);
      return ids;
    },

    async setSyncState(
      id: string,
      from: readonly SyncState[],
      state: SyncState,
      now: number,
    ): Promise<boolean> {
      const changed = q.run(
        `UPDATE sync_lifecycles SET state = ?, updated_at = ?
         WHERE id = ? AND state IN (SELECT value FROM json_each(?))`,
        state,
        now,
        id,
        JSON.stringify(syncMoveFrom(from, state)),
      );
      if (changed > 0) recordEvent(q, id, now);
      return changed > 0;
    },
  }) satisfies Partial<StoreTx>;
