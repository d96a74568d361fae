// What /metrics reads from the database (mirrored by ../sqlite/metrics.ts).

import { PRESENCE_GRACE_MS } from "../../domain/model.js";
import { metricsFromRows } from "../rows.js";
import type { MetricsSnapshot, StoreReader } from "../store.js";
import type { PgDb } from "./db.js";

export const metricsReads = (q: PgDb) =>
  ({
    async metricsSnapshot(now: number): Promise<MetricsSnapshot> {
      const syncs = await q.all(
        `SELECT state, trigger, count(*) AS n FROM sync_lifecycles
         WHERE state IN ('QUEUED', 'RUNNING') GROUP BY state, trigger`,
      );
      const oldest = await q.one(
        "SELECT min(queued_at) AS at FROM sync_lifecycles WHERE state = 'QUEUED' AND run_after <= $1",
        now,
      );
      const tasks = await q.all(
        `SELECT state, count(*) AS n FROM provisioning_tasks
         WHERE state IN ('QUEUED', 'HELD', 'RUNNING') GROUP BY state`,
      );
      const holds = await q.all("SELECT kind, count(*) AS n FROM holds GROUP BY kind");
      const connected = await q.one(
        `SELECT count(*) AS n FROM connector_presence p JOIN connectors c ON c.id = p.connector_id
         WHERE c.deleted_at IS NULL AND $1::bigint - p.last_seen_at <= 3 * p.poll_ms + $2::bigint`,
        now,
        PRESENCE_GRACE_MS,
      );
      return metricsFromRows({ syncs, oldest, tasks, holds, connected });
    },
  }) satisfies Partial<StoreReader>;
