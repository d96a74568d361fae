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
import type { SqliteDb } from "./db.js";

// Lifecycle guards, checked against the domain's state machines when this module loads.
const CANCEL_OPEN_TASKS = sqlList(taskMoveFrom(OPEN_TASK_STATES, "CANCELED"));
const START_TASK = sqlList(taskMoveFrom(["QUEUED"], "RUNNING"));
const TASK_BLOCKED = sqlList(TASK_BLOCKING_HOLDS);

function moveTasks(
  q: SqliteDb,
  connectorId: string,
  from: TaskState,
  to: TaskState,
  now: number,
): string[] {
  return q
    .all(
      `UPDATE provisioning_tasks SET state = ?, updated_at = ?
     WHERE connector_id = ? AND state IN (SELECT value FROM json_each(?)) RETURNING id, seq`,
      to,
      now,
      connectorId,
      JSON.stringify(taskMoveFrom([from], to)),
    )
    .sort((a, b) => Number(a.seq) - Number(b.seq))
    .map((row) => String(row.id));
}

export const taskReads = (q: SqliteDb) =>
  ({
    async getProvisioningTask(
      connectorId: string,
      id: string,
    ): Promise<ProvisioningTaskRecord | null> {
      const row = q.one(
        "SELECT * FROM provisioning_tasks WHERE id = ? AND connector_id = ?",
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
      const rows = q.all(
        `SELECT * FROM provisioning_tasks
         WHERE connector_id = ? AND seq > ?
           AND (? = '[]' OR state IN (SELECT value FROM json_each(?)))
         ORDER BY seq LIMIT ?`,
        connectorId,
        after,
        JSON.stringify(states),
        JSON.stringify(states),
        query.pageSize + 1,
      );
      return page(rows, query.pageSize, taskFromRow, (row) => String(row.seq));
    },

    async provisioningCounts(connectorIds: readonly string[]): Promise<Map<string, TaskCounts>> {
      const result = new Map<string, TaskCounts>();
      if (connectorIds.length === 0) return result;
      const rows = q.all(
        `SELECT connector_id, sum(state = 'QUEUED') AS queued, sum(state = 'HELD') AS held,
                sum(state = 'RUNNING') AS running
         FROM provisioning_tasks
         WHERE connector_id IN (SELECT value FROM json_each(?))
           AND state IN ('QUEUED', 'HELD', 'RUNNING')
         GROUP BY connector_id`,
        JSON.stringify(connectorIds),
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
      const row = q.one(
        `SELECT t.* FROM provisioning_tasks t
         WHERE t.connector_id = ? AND t.state = 'QUEUED'
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                           WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
         ORDER BY t.seq LIMIT 1`,
        connectorId,
      );
      return row ? taskFromRow(row) : null;
    },

    async expiredTaskLeases(now: number, limit: number): Promise<ProvisioningTaskRecord[]> {
      return q
        .all(
          `SELECT * FROM provisioning_tasks WHERE state = 'RUNNING' AND lease_expires_at < ?
         ORDER BY lease_expires_at LIMIT ?`,
          now,
          limit,
        )
        .map(taskFromRow);
    },
  }) satisfies Partial<StoreReader>;

export const taskWrites = (q: SqliteDb) =>
  ({
    async insertProvisioningTask(input: NewProvisioningTask): Promise<ProvisioningTaskRecord> {
      const { task } = input;
      const inserted = q.run(
        `INSERT INTO provisioning_tasks (id, app_id, connector_id, kind, state, request_key,
           entitlement_id, principal_type_id, principal_id, grant_id, note, requested_by, created_at,
           updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (connector_id, request_key) WHERE state IN ('QUEUED', 'HELD') DO NOTHING`,
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
        task.createdAt,
      );
      const row =
        inserted > 0
          ? q.one("SELECT * FROM provisioning_tasks WHERE id = ?", task.id)
          : q.one(
              `SELECT * FROM provisioning_tasks
               WHERE connector_id = ? AND request_key = ? AND state IN ('QUEUED', 'HELD')`,
              task.connectorId,
              input.requestKey,
            );
      return taskFromRow(row as Row);
    },

    async holdQueuedTasks(connectorId: string, now: number): Promise<string[]> {
      return moveTasks(q, connectorId, "QUEUED", "HELD", now);
    },

    async releaseHeldTasks(connectorId: string, now: number): Promise<string[]> {
      return moveTasks(q, connectorId, "HELD", "QUEUED", now);
    },

    async cancelProvisioningTask(id: string, reason: string, now: number): Promise<boolean> {
      return (
        q.run(
          `UPDATE provisioning_tasks SET state = 'CANCELED', error = ?, finished_at = ?, updated_at = ?
           WHERE id = ? AND state IN (${CANCEL_OPEN_TASKS})`,
          reason,
          now,
          now,
          id,
        ) > 0
      );
    },

    async cancelOpenTasks(connectorId: string, reason: string, now: number): Promise<string[]> {
      return q
        .all(
          `UPDATE provisioning_tasks SET state = 'CANCELED', error = ?, finished_at = ?, updated_at = ?
         WHERE connector_id = ? AND state IN (${CANCEL_OPEN_TASKS}) RETURNING id`,
          reason,
          now,
          now,
          connectorId,
        )
        .map((row) => String(row.id));
    },

    async runnableTasks(
      limit: number,
      exceptCatalogs: readonly string[] = [],
    ): Promise<ProvisioningTaskRecord[]> {
      return q
        .all(
          `SELECT t.* FROM provisioning_tasks t JOIN connectors c ON c.id = t.connector_id
         WHERE t.state = 'QUEUED'
           AND c.catalog_id NOT IN (SELECT value FROM json_each(?))
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                           WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks e
                           WHERE e.connector_id = t.connector_id AND e.state = 'QUEUED' AND e.seq < t.seq)
         ORDER BY t.seq LIMIT ?`,
          JSON.stringify(exceptCatalogs),
          limit,
        )
        .map(taskFromRow);
    },

    async claimTask(claim: TaskClaim): Promise<ClaimedTaskRow | null> {
      // One statement: the single writer hands each task to one claimer.
      const row = q.one(
        `UPDATE provisioning_tasks SET state = 'RUNNING', started_at = ?, lease_owner = ?,
           lease_expires_at = ?, updated_at = ?
         WHERE id = (
           SELECT t.id FROM provisioning_tasks t JOIN connectors c ON c.id = t.connector_id
           WHERE t.state IN (${START_TASK}) AND c.deleted_at IS NULL
             AND (? IS NULL OR t.connector_id = ?)
             AND c.catalog_id NOT IN (SELECT value FROM json_each(?))
             AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r
                             WHERE r.connector_id = t.connector_id AND r.state = 'RUNNING')
             AND NOT EXISTS (SELECT 1 FROM provisioning_tasks e
                             WHERE e.connector_id = t.connector_id AND e.state = 'QUEUED' AND e.seq < t.seq)
             AND NOT EXISTS (SELECT 1 FROM holds h
                             WHERE h.connector_id = t.connector_id AND h.kind IN (${TASK_BLOCKED}))
           ORDER BY t.seq LIMIT 1)
         RETURNING *`,
        claim.now,
        claim.owner,
        claim.leaseUntil,
        claim.now,
        claim.connectorId ?? null,
        claim.connectorId ?? null,
        JSON.stringify(claim.exceptCatalogs ?? []),
      );
      if (!row) return null;
      const connector = q.one("SELECT * FROM connectors WHERE id = ?", row.connector_id);
      return { task: taskFromRow(row), connector: connectorFromRow(connector as Row) };
    },

    async startProvisioningTask(
      id: string,
      worker: string,
      now: number,
      leaseUntil: number,
    ): Promise<boolean> {
      return (
        q.run(
          `UPDATE provisioning_tasks SET state = 'RUNNING', started_at = ?, lease_owner = ?,
             lease_expires_at = ?, updated_at = ?
           WHERE id = ? AND state IN (${START_TASK})`,
          now,
          worker,
          leaseUntil,
          now,
          id,
        ) > 0
      );
    },

    async renewTaskLease(
      id: string,
      worker: string,
      leaseUntil: number,
      now: number,
    ): Promise<boolean> {
      return (
        q.run(
          `UPDATE provisioning_tasks SET lease_expires_at = ?, updated_at = ?
           WHERE id = ? AND state = 'RUNNING' AND lease_owner = ?`,
          leaseUntil,
          now,
          id,
          worker,
        ) > 0
      );
    },

    async finishProvisioningTask(
      id: string,
      finish: TaskFinish,
      worker?: string,
    ): Promise<boolean> {
      return (
        q.run(
          `UPDATE provisioning_tasks SET state = ?, finished_at = ?, result = ?, error = ?,
             lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
           WHERE id = ? AND state IN (SELECT value FROM json_each(?))
             AND (? IS NULL OR lease_owner = ?)`,
          finish.state,
          finish.finishedAt,
          finish.result ?? "",
          finish.error ?? "",
          finish.finishedAt,
          id,
          JSON.stringify(taskMoveFrom(["RUNNING"], finish.state)),
          worker ?? null,
          worker ?? null,
        ) > 0
      );
    },
  }) satisfies Partial<StoreTx>;
