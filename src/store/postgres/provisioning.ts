// Provisioning tasks: grant and revoke requests, one running per connector, in creation order.

import {
  OPEN_TASK_STATES,
  type ProvisioningTaskRecord,
  type TaskState,
} from "../../domain/provisioning.js";
import { invalidPageToken, page } from "../paging.js";
import { connectorFromRow, type Row, taskFromRow } from "../rows.js";
import type {
  ClaimedTaskRow,
  NewProvisioningTask,
  Page,
  PageQuery,
  StoreReader,
  StoreTx,
  TaskClaim,
  TaskCounts,
  TaskFinish,
} from "../store.js";
import { sqlList, TASK_BLOCKING_HOLDS, taskMoveFrom } from "../transitions.js";
import type { PgDb } from "./db.js";

// Lifecycle guards, checked against the domain's state machines when this module loads.
const CANCEL_OPEN_TASKS = sqlList(taskMoveFrom(OPEN_TASK_STATES, "CANCELED"));
const START_TASK = sqlList(taskMoveFrom(["QUEUED"], "RUNNING"));
const TASK_BLOCKED = `ARRAY[${sqlList(TASK_BLOCKING_HOLDS)}]::text[]`;

/** How often insertProvisioningTask looks again when the open task it collided with ended. */
const INSERT_TRIES = 3;

async function moveTasks(
  q: PgDb,
  connectorId: string,
  from: TaskState,
  to: TaskState,
  now: number,
): Promise<string[]> {
  const rows = await q.all(
    `UPDATE provisioning_tasks SET state = $1, updated_at = $2
     WHERE connector_id = $3 AND state = ANY($4::text[]) RETURNING id, seq`,
    to,
    now,
    connectorId,
    taskMoveFrom([from], to),
  );
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((row) => String(row.id));
}

export const taskReads = (q: PgDb) =>
  ({
    async getProvisioningTask(
      connectorId: string,
      id: string,
    ): Promise<ProvisioningTaskRecord | null> {
      const row = await q.one(
        "SELECT * FROM provisioning_tasks WHERE id = $1 AND connector_id = $2",
        id,
        connectorId,
      );
      return row ? taskFromRow(row) : null;
    },

    async listProvisioningTasks(
      connectorId: string,
      states: readonly TaskState[],
      query: PageQuery,
    ): Promise<Page<ProvisioningTaskRecord>> {
      const after = query.after === null ? 0 : Number(query.after);
      if (!Number.isSafeInteger(after)) throw invalidPageToken();
      const rows = await q.all(
        `SELECT * FROM provisioning_tasks
         WHERE connector_id = $1 AND seq > $2
           AND (cardinality($3::text[]) = 0 OR state = ANY($3::text[]))
         ORDER BY seq LIMIT $4`,
        connectorId,
        after,
        states,
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, taskFromRow, (row) => String(row.seq));
    },

    async provisioningCounts(connectorIds: readonly string[]): Promise<Map<string, TaskCounts>> {
      const result = new Map<string, TaskCounts>();
      if (connectorIds.length === 0) return result;
      const rows = await q.all(
        `SELECT connector_id, count(*) FILTER (WHERE state = 'QUEUED') AS queued,
                count(*) FILTER (WHERE state = 'HELD') AS held,
                count(*) FILTER (WHERE state = 'RUNNING') AS running
         FROM provisioning_tasks
         WHERE connector_id = ANY($1::text[])
           AND state IN ('QUEUED', 'HELD', 'RUNNING')
         GROUP BY connector_id`,
        connectorIds,
      );
      for (const row of rows) {
        result.set(String(row.connector_id), {
          queued: Number(row.queued),
          held: Number(row.held),
          running: Number(row.running),
        });
      }
      return result;
    },

    async nextRunnableTask(connectorId: string): Promise<ProvisioningTaskRecord | null> {
      const row = await q.one(
        `SELECT t.* FROM provisioning_tasks t
         WHERE t.connector_id = $1 AND t.state = 'QUEUED'
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                           WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
         ORDER BY t.seq LIMIT 1`,
        connectorId,
      );
      return row ? taskFromRow(row) : null;
    },

    async expiredTaskLeases(now: number, limit: number): Promise<ProvisioningTaskRecord[]> {
      const rows = await q.all(
        `SELECT * FROM provisioning_tasks WHERE state = 'RUNNING' AND lease_expires_at < $1
         ORDER BY lease_expires_at LIMIT $2`,
        now,
        limit,
      );
      return rows.map(taskFromRow);
    },
  }) satisfies Partial<StoreReader>;

export const taskWrites = (q: PgDb) =>
  ({
    async insertProvisioningTask(input: NewProvisioningTask): Promise<ProvisioningTaskRecord> {
      const { task } = input;
      for (let attempt = 1; ; attempt++) {
        const inserted = await q.one(
          `INSERT INTO provisioning_tasks (id, app_id, connector_id, kind, state, request_key,
             entitlement_id, principal_type_id, principal_id, grant_id, note, requested_by,
             created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
           ON CONFLICT (connector_id, request_key) WHERE state IN ('QUEUED', 'HELD') DO NOTHING
           RETURNING *`,
          task.id,
          task.appId,
          task.connectorId,
          task.kind,
          task.state,
          input.requestKey,
          task.entitlementId,
          task.principal?.resourceTypeId ?? null,
          task.principal?.resourceId ?? null,
          task.grantId,
          task.note,
          task.requestedBy,
          task.createdAt,
        );
        if (inserted) return taskFromRow(inserted);
        const open = await q.one(
          `SELECT * FROM provisioning_tasks
           WHERE connector_id = $1 AND request_key = $2 AND state IN ('QUEUED', 'HELD')`,
          task.connectorId,
          input.requestKey,
        );
        if (open) return taskFromRow(open);
        // The open task it collided with ended in between (another transaction): try again.
        if (attempt >= INSERT_TRIES) {
          throw new Error(`provisioning task ${task.id}: its request key stays contended`);
        }
      }
    },

    async holdQueuedTasks(connectorId: string, now: number): Promise<string[]> {
      return moveTasks(q, connectorId, "QUEUED", "HELD", now);
    },

    async releaseHeldTasks(connectorId: string, now: number): Promise<string[]> {
      return moveTasks(q, connectorId, "HELD", "QUEUED", now);
    },

    async cancelProvisioningTask(id: string, reason: string, now: number): Promise<boolean> {
      const changed = await q.run(
        `UPDATE provisioning_tasks SET state = 'CANCELED', error = $1, finished_at = $2,
           updated_at = $2
         WHERE id = $3 AND state IN (${CANCEL_OPEN_TASKS})`,
        reason,
        now,
        id,
      );
      return changed > 0;
    },

    async cancelOpenTasks(connectorId: string, reason: string, now: number): Promise<string[]> {
      const rows = await q.all(
        `UPDATE provisioning_tasks SET state = 'CANCELED', error = $1, finished_at = $2,
           updated_at = $2
         WHERE connector_id = $3 AND state IN (${CANCEL_OPEN_TASKS}) RETURNING id`,
        reason,
        now,
        connectorId,
      );
      return rows.map((row) => String(row.id));
    },

    async runnableTasks(
      limit: number,
      exceptCatalogs: readonly string[] = [],
    ): Promise<ProvisioningTaskRecord[]> {
      // Tasks another claimer's transaction holds are skipped, not waited for; a connector's
      // later task is never taken instead (the older one still counts in NOT EXISTS).
      const rows = await q.all(
        `SELECT t.* FROM provisioning_tasks t JOIN connectors c ON c.id = t.connector_id
         WHERE t.state = 'QUEUED'
           AND NOT (c.catalog_id = ANY($1::text[]))
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                           WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks e
                           WHERE e.connector_id = t.connector_id AND e.state = 'QUEUED'
                             AND e.seq < t.seq)
         ORDER BY t.seq LIMIT $2
         FOR UPDATE OF t SKIP LOCKED`,
        exceptCatalogs,
        limit,
      );
      return rows.map(taskFromRow);
    },

    async claimTask(claim: TaskClaim): Promise<ClaimedTaskRow | null> {
      // One statement that locks the task and its connector (store.ts, concurrency rule 2):
      // concurrent claimers skip the tasks others are taking and the connectors a command holds
      // locked. A connector's later task is never taken instead of a locked older one (the older
      // one still counts in NOT EXISTS).
      const row = await q.one(
        `WITH picked AS (
           SELECT t.id FROM provisioning_tasks t JOIN connectors c ON c.id = t.connector_id
           WHERE t.state IN (${START_TASK}) AND c.deleted_at IS NULL
             AND ($4::text IS NULL OR t.connector_id = $4)
             AND NOT (c.catalog_id = ANY($5::text[]))
             AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                             WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
             AND NOT EXISTS (SELECT 1 FROM provisioning_tasks e
                             WHERE e.connector_id = t.connector_id AND e.state = 'QUEUED'
                               AND e.seq < t.seq)
             AND NOT EXISTS (SELECT 1 FROM holds h
                             WHERE h.connector_id = t.connector_id
                               AND h.kind = ANY(${TASK_BLOCKED}))
           ORDER BY t.seq LIMIT 1
           FOR UPDATE OF t, c SKIP LOCKED
         ),
         claimed AS (
           UPDATE provisioning_tasks u SET state = 'RUNNING', started_at = $1, lease_owner = $2,
             lease_expires_at = $3, updated_at = $1
           FROM picked WHERE u.id = picked.id AND u.state IN (${START_TASK})
           RETURNING u.*
         )
         SELECT to_jsonb(k) AS task, to_jsonb(n) AS connector
         FROM claimed k JOIN connectors n ON n.id = k.connector_id`,
        claim.now,
        claim.owner,
        claim.leaseUntil,
        claim.connectorId ?? null,
        claim.exceptCatalogs ?? [],
      );
      if (!row) return null;
      return {
        task: taskFromRow(row.task as Row),
        connector: connectorFromRow(row.connector as Row),
      };
    },

    async startProvisioningTask(
      id: string,
      worker: string,
      now: number,
      leaseUntil: number,
    ): Promise<boolean> {
      const started = await q.run(
        `UPDATE provisioning_tasks SET state = 'RUNNING', started_at = $1, lease_owner = $2,
           lease_expires_at = $3, updated_at = $1
         WHERE id = $4 AND state IN (${START_TASK})`,
        now,
        worker,
        leaseUntil,
        id,
      );
      return started > 0;
    },

    async renewTaskLease(
      id: string,
      worker: string,
      leaseUntil: number,
      now: number,
    ): Promise<boolean> {
      const renewed = await q.run(
        `UPDATE provisioning_tasks SET lease_expires_at = $1, updated_at = $2
         WHERE id = $3 AND state = 'RUNNING' AND lease_owner = $4`,
        leaseUntil,
        now,
        id,
        worker,
      );
      return renewed > 0;
    },

    async finishProvisioningTask(
      id: string,
      finish: TaskFinish,
      worker?: string,
    ): Promise<boolean> {
      const changed = await q.run(
        `UPDATE provisioning_tasks SET state = $1, finished_at = $2, result = $3, error = $4,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
         WHERE id = $5 AND state = ANY($6::text[])
           AND ($7::text IS NULL OR lease_owner = $7)`,
        finish.state,
        finish.finishedAt,
        finish.result ?? "",
        finish.error ?? "",
        id,
        taskMoveFrom(["RUNNING"], finish.state),
        worker ?? null,
      );
      return changed > 0;
    },
  }) satisfies Partial<StoreTx>;
