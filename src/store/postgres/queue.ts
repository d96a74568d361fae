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
import type { PgDb } from "./db.js";

// Lifecycle guards, checked against the domain's state machines when this module loads.
const FINISHED_LIST = sqlList(FINISHED_STATES);
const CANCEL_QUEUED_SYNCS = sqlList(syncMoveFrom(["QUEUED"], "CANCELED"));
const START_SYNC = sqlList(syncMoveFrom(["QUEUED"], "RUNNING"));
const REQUEUE_SYNC = sqlList(syncMoveFrom(["RUNNING"], "QUEUED"));
const SUPERSEDE_HELD_SYNCS = sqlList(syncMoveFrom(["ERRORED_NO_DATA"], "SUPERSEDED"));
const CLAIM_BLOCKED = `ARRAY[${sqlList(CLAIM_BLOCKING_HOLDS)}]::text[]`;

/**
 * `change` (an INSERT or UPDATE of sync_lifecycles) and the history entry of every sync it
 * changed, in one statement: each changed sync's state as it is now goes to sync_events, timed
 * by the parameter `at`. The statement returns (and counts) one row per changed sync.
 */
export const recorded = (change: string, at: string) => `
  WITH changed AS (${change} RETURNING id, state, attempt, error)
  INSERT INTO sync_events (sync_id, seq, at, state, attempt, error)
  SELECT c.id, coalesce((SELECT max(e.seq) FROM sync_events e WHERE e.sync_id = c.id), 0) + 1,
         ${at}::bigint, c.state, c.attempt, c.error
  FROM changed c
  RETURNING sync_id`;

export const queueReads = (q: PgDb) =>
  ({
    async getSync(connectorId: string, id: string): Promise<SyncRecord | null> {
      const row = await q.one(
        "SELECT * FROM sync_lifecycles WHERE id = $1 AND connector_id = $2",
        id,
        connectorId,
      );
      return row ? syncFromRow(row) : null;
    },

    async listSyncs(connectorId: string, query: SyncListQuery): Promise<Page<SyncRecord>> {
      const [queuedAt, id] = query.after ? splitKey(query.after) : [Number.MAX_SAFE_INTEGER, ""];
      const rows = await q.all(
        `SELECT * FROM sync_lifecycles
         WHERE connector_id = $1 AND (queued_at, id) < ($2::bigint, $3::text)
           AND ($5::text[] IS NULL OR state = ANY($5::text[]))
           AND ($6::text[] IS NULL OR trigger = ANY($6::text[]))
           AND queued_at >= $7::bigint AND queued_at < $8::bigint
         ORDER BY queued_at DESC, id DESC LIMIT $4`,
        connectorId,
        queuedAt,
        query.after ? id : "",
        query.pageSize + 1,
        query.states?.length ? query.states : null,
        query.triggers?.length ? query.triggers : null,
        query.queuedFrom ?? Number.MIN_SAFE_INTEGER,
        query.queuedBefore ?? Number.MAX_SAFE_INTEGER,
      );
      return page(
        rows,
        query.pageSize,
        syncFromRow,
        (row) => `${String(row.queued_at)}:${String(row.id)}`,
      );
    },

    async listSyncEvents(syncId: string): Promise<SyncEvent[]> {
      const rows = await q.all("SELECT * FROM sync_events WHERE sync_id = $1 ORDER BY seq", syncId);
      return rows.map((row) => ({
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
      const rows = await q.all(
        `SELECT s.* FROM unnest($1::text[]) AS c(id)
         CROSS JOIN LATERAL (
           SELECT * FROM sync_lifecycles WHERE connector_id = c.id
           ORDER BY queued_at DESC, id DESC LIMIT 1) s`,
        [...connectorIds],
      );
      for (const row of rows) result.set(String(row.connector_id), syncFromRow(row));
      return result;
    },

    async nextRunnableSync(connectorId: string, now: number): Promise<SyncRecord | null> {
      const row = await q.one(
        `SELECT s.* FROM sync_lifecycles s
         WHERE s.connector_id = $1 AND s.state = 'QUEUED' AND s.run_after <= $2
           AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r
                           WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                           WHERE t.connector_id = s.connector_id
                             AND t.state IN ('QUEUED', 'RUNNING'))`,
        connectorId,
        now,
      );
      return row ? syncFromRow(row) : null;
    },

    async expiredLeases(now: number, limit: number): Promise<SyncRecord[]> {
      const rows = await q.all(
        `SELECT * FROM sync_lifecycles WHERE state = 'RUNNING' AND lease_expires_at < $1
         ORDER BY lease_expires_at LIMIT $2`,
        now,
        limit,
      );
      return rows.map(syncFromRow);
    },
  }) satisfies Partial<StoreReader>;

export const queueWrites = (q: PgDb) =>
  ({
    async queueSnapshot(connectorId: string): Promise<{ queued: number; running: number }> {
      // Each probe is answered by a partial unique index, however long the sync history is.
      const row = await q.one(
        `SELECT EXISTS (SELECT 1 FROM sync_lifecycles
                        WHERE connector_id = $1 AND state = 'QUEUED')::int AS queued,
                EXISTS (SELECT 1 FROM sync_lifecycles
                        WHERE connector_id = $1 AND state = 'RUNNING')::int AS running`,
        connectorId,
      );
      return { queued: Number(row?.queued ?? 0), running: Number(row?.running ?? 0) };
    },

    async insertSync(sync: NewSync): Promise<void> {
      await q.run(
        recorded(
          `INSERT INTO sync_lifecycles (id, connector_id, app_id, trigger, state, attempt,
             queued_at, run_after, requested_by, updated_at)
           VALUES ($1, $2, $3, $4, 'QUEUED', 0, $5, $5, $6, $5)`,
          "$5",
        ),
        sync.id,
        sync.connectorId,
        sync.appId,
        sync.trigger,
        sync.queuedAt,
        sync.requestedBy,
      );
    },

    async cancelQueuedSyncs(connectorId: string, reason: string, now: number): Promise<string[]> {
      const rows = await q.all(
        recorded(
          `UPDATE sync_lifecycles SET state = 'CANCELED', error = $1, finished_at = NULL,
             updated_at = $2
           WHERE connector_id = $3 AND state IN (${CANCEL_QUEUED_SYNCS})`,
          "$2",
        ),
        reason,
        now,
        connectorId,
      );
      return rows.map((row) => String(row.sync_id));
    },

    async latestFinishedSync(connectorId: string): Promise<SyncRecord | null> {
      const row = await q.one(
        `SELECT * FROM sync_lifecycles WHERE connector_id = $1 AND finished_at IS NOT NULL
           AND state IN (${FINISHED_LIST})
         ORDER BY finished_at DESC, id DESC LIMIT 1`,
        connectorId,
      );
      return row ? syncFromRow(row) : null;
    },

    async finishSync(id: string, finish: SyncFinish): Promise<boolean> {
      const changed = await q.run(
        recorded(
          `UPDATE sync_lifecycles SET state = $1, finished_at = $2, counts = $3,
             baseline_counts = $4, error = $5, exempt_resource_type_ids = $6, lease_owner = NULL,
             lease_expires_at = NULL, updated_at = $2, data_drops = $9
           WHERE id = $7 AND state = ANY($8::text[])`,
          "$2",
        ),
        finish.state,
        finish.finishedAt,
        finish.counts ? JSON.stringify(finish.counts) : null,
        finish.baselineCounts ? JSON.stringify(finish.baselineCounts) : null,
        finish.error ?? "",
        JSON.stringify(finish.exemptResourceTypeIds ?? []),
        id,
        syncMoveFrom(["RUNNING"], finish.state),
        finish.dataDrops?.length ? JSON.stringify(finish.dataDrops) : null,
      );
      return changed > 0;
    },

    async runnableSyncs(
      now: number,
      limit: number,
      exceptCatalogs: readonly string[] = [],
    ): Promise<SyncRecord[]> {
      // Syncs another claimer's transaction holds are skipped, not waited for.
      const rows = await q.all(
        `SELECT s.* FROM sync_lifecycles s JOIN connectors c ON c.id = s.connector_id
         WHERE s.state = 'QUEUED' AND s.run_after <= $1
           AND NOT (c.catalog_id = ANY($2::text[]))
           AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r
                           WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                           WHERE t.connector_id = s.connector_id
                             AND t.state IN ('QUEUED', 'RUNNING'))
         ORDER BY s.run_after, s.id LIMIT $3
         FOR UPDATE OF s SKIP LOCKED`,
        now,
        exceptCatalogs,
        limit,
      );
      return rows.map(syncFromRow);
    },

    async claimSync(claim: SyncClaim): Promise<ClaimedSyncRow | null> {
      // One statement that locks the sync and its connector (store.ts, concurrency rule 2):
      // concurrent claimers skip the syncs others are taking and the connectors a command holds
      // locked (lockConnector, e.g. a pause under way), which are claimed in a later round under
      // the holds that command left. The connector stays locked until this transaction ends.
      const row = await q.one(
        `WITH picked AS (
           -- It starts no earlier than the connector's last sync ended (its status time): a
           -- claim made just before that end and run just after it must not read as started
           -- while the other still ran.
           SELECT s.id, GREATEST($1::bigint, coalesce(c.sync_status_updated_at, 0)) AS start_at
           FROM sync_lifecycles s JOIN connectors c ON c.id = s.connector_id
           WHERE s.state IN (${START_SYNC}) AND s.run_after <= $1 AND c.deleted_at IS NULL
             AND ($4::text IS NULL OR s.connector_id = $4)
             AND NOT (c.catalog_id = ANY($5::text[]))
             AND NOT EXISTS (SELECT 1 FROM sync_lifecycles r
                             WHERE r.connector_id = s.connector_id AND r.state = 'RUNNING')
             AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t
                             WHERE t.connector_id = s.connector_id
                               AND t.state IN ('QUEUED', 'RUNNING'))
             AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.connector_id = s.connector_id
                             AND h.kind || ' ' || s.trigger = ANY(${CLAIM_BLOCKED}))
           ORDER BY s.run_after, s.id LIMIT 1
           FOR UPDATE OF s, c SKIP LOCKED
         ),
         claimed AS (
           UPDATE sync_lifecycles u SET state = 'RUNNING', attempt = u.attempt + 1,
             started_at = picked.start_at, lease_owner = $2, lease_expires_at = $3,
             updated_at = picked.start_at
           FROM picked WHERE u.id = picked.id AND u.state IN (${START_SYNC})
           RETURNING u.*
         ),
         recorded AS (
           INSERT INTO sync_events (sync_id, seq, at, state, attempt, error)
           SELECT k.id,
                  coalesce((SELECT max(e.seq) FROM sync_events e WHERE e.sync_id = k.id), 0) + 1,
                  k.started_at, k.state, k.attempt, k.error
           FROM claimed k
         ),
         started AS (
           UPDATE connectors n SET sync_status = 'SYNC_STATUS_RUNNING',
             sync_started_at = k.started_at, sync_status_updated_at = k.started_at
           FROM claimed k WHERE n.id = k.connector_id
           RETURNING n.*
         )
         SELECT to_jsonb(k) AS sync, to_jsonb(n) AS connector
         FROM claimed k JOIN started n ON n.id = k.connector_id`,
        claim.now,
        claim.owner,
        claim.leaseUntil,
        claim.connectorId ?? null,
        claim.exceptCatalogs ?? [],
      );
      if (!row) return null;
      return {
        sync: syncFromRow(row.sync as Row),
        connector: connectorFromRow(row.connector as Row),
      };
    },

    async startSync(id: string, worker: string, now: number, leaseUntil: number): Promise<boolean> {
      const started = await q.run(
        recorded(
          `UPDATE sync_lifecycles SET state = 'RUNNING', attempt = attempt + 1, started_at = $1,
             lease_owner = $2, lease_expires_at = $3, updated_at = $1
           WHERE id = $4 AND state IN (${START_SYNC})`,
          "$1",
        ),
        now,
        worker,
        leaseUntil,
        id,
      );
      return started > 0;
    },

    async renewLease(
      id: string,
      worker: string,
      attempt: number,
      leaseUntil: number,
      now: number,
      progress?: SyncProgress,
    ): Promise<boolean> {
      const renewed = await q.run(
        `UPDATE sync_lifecycles SET lease_expires_at = $1, updated_at = $2,
           progress = COALESCE($6, progress)
         WHERE id = $3 AND state = 'RUNNING' AND lease_owner = $4 AND attempt = $5`,
        leaseUntil,
        now,
        id,
        worker,
        attempt,
        progress ? JSON.stringify(progress) : null,
      );
      return renewed > 0;
    },

    async requeueSync(id: string, runAfter: number, error: string, now: number): Promise<boolean> {
      const changed = await q.run(
        recorded(
          `UPDATE sync_lifecycles SET state = 'QUEUED', run_after = $1, error = $2,
             lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
           WHERE id = $4 AND state IN (${REQUEUE_SYNC})`,
          "$3",
        ),
        runAfter,
        error,
        now,
        id,
      );
      return changed > 0;
    },

    async supersedeHeldSyncs(connectorId: string, now: number): Promise<string[]> {
      const rows = await q.all(
        recorded(
          `UPDATE sync_lifecycles SET state = 'SUPERSEDED', updated_at = $1
           WHERE connector_id = $2 AND state IN (${SUPERSEDE_HELD_SYNCS})`,
          "$1",
        ),
        now,
        connectorId,
      );
      return rows.map((row) => String(row.sync_id));
    },

    async setSyncState(
      id: string,
      from: readonly SyncState[],
      state: SyncState,
      now: number,
    ): Promise<boolean> {
      const changed = await q.run(
        recorded(
          `UPDATE sync_lifecycles SET state = $1, updated_at = $2
           WHERE id = $3 AND state = ANY($4::text[])`,
          "$2",
        ),
        state,
        now,
        id,
        syncMoveFrom(from, state),
      );
      return changed > 0;
    },
  }) satisfies Partial<StoreTx>;
