// Row ↔ record mapping shared by both backends: times are integers (milliseconds), flags are 0/1
// integers, JSON is stored as text. The mappers also take what a PostgreSQL driver may hand
// back instead: numbers as strings (bigint, numeric, counts), flags as booleans, JSON already
// parsed (json/jsonb columns).

import type { CountDrop } from "../domain/data-drop.js";
import type { Hold, HoldKind } from "../domain/holds.js";
import type { SyncProgress } from "../domain/progress.js";
import type {
  AppRecord,
  AuditEvent,
  ConnectorRecord,
  CredentialRecord,
  PresenceRecord,
  Role,
  ScheduleRecord,
  SyncCounts,
  SyncRecord,
  SyncStatus,
} from "../domain/model.js";
import type { SyncState, SyncTrigger } from "../domain/syncs.js";
import type {
  EntitlementRecord,
  GrantRecord,
  ResourceRecord,
  ResourceTypeRecord,
} from "../domain/inventory.js";
import type { ProvisioningTaskRecord, TaskKind, TaskState } from "../domain/provisioning.js";
import type { MetricsSnapshot } from "./store.js";

export type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
export const str = (value: unknown): string =>
  value === null || value === undefined ? "" : String(value);
const flag = (value: unknown): boolean => value === true || Number(value) === 1;
const json = <T>(value: unknown, fallback: T): T => {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "object" && !Buffer.isBuffer(value)) return value as T;
  return JSON.parse(String(value)) as T;
};

export const appFromRow = (row: Row): AppRecord => ({
  id: str(row.id),
  displayName: str(row.display_name),
  description: str(row.description),
  attributes: json(row.attributes, {}),
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
});

export const connectorFromRow = (row: Row): ConnectorRecord => ({
  id: str(row.id),
  appId: str(row.app_id),
  displayName: str(row.display_name),
  description: str(row.description),
  catalogId: str(row.catalog_id),
  config: json(row.config, null),
  configUpdatedAt: numOrNull(row.config_updated_at),
  disableCheckBadSync: flag(row.disable_check_bad_sync),
  syncResourceTypeIds: json(row.sync_resource_type_ids, []),
  userIds: json(row.user_ids, []),
  syncStatus: {
    status: str(row.sync_status) as SyncStatus,
    startedAt: numOrNull(row.sync_started_at),
    completedAt: numOrNull(row.sync_completed_at),
    updatedAt: numOrNull(row.sync_status_updated_at),
    lastError: str(row.sync_last_error),
  },
  appliedSyncId:
    row.applied_sync_id === null || row.applied_sync_id === undefined
      ? null
      : str(row.applied_sync_id),
  previousAppliedSyncId:
    row.previous_applied_sync_id === null || row.previous_applied_sync_id === undefined
      ? null
      : str(row.previous_applied_sync_id),
  dataDropPolicy:
    row.drop_threshold_percent === null || row.drop_threshold_percent === undefined
      ? null
      : {
          thresholdPercent: num(row.drop_threshold_percent),
          minRows: num(row.drop_min_rows),
          ...(row.drop_type_limits === null || row.drop_type_limits === undefined
            ? {}
            : { resourceTypes: json(row.drop_type_limits, {}) }),
        },
  labels: json(row.labels, {}),
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
  deletedAt: numOrNull(row.deleted_at),
});

export const holdFromRow = (row: Row): Hold => ({
  kind: str(row.kind) as HoldKind,
  actor: str(row.actor),
  note: str(row.note),
  createdAt: num(row.created_at),
  until: numOrNull(row.until_at),
});

export const scheduleFromRow = (row: Row): ScheduleRecord => ({
  connectorId: str(row.connector_id),
  cronSpec: str(row.cron_spec),
  timezone: str(row.timezone),
  startAt: num(row.start_at),
  nextFireAt: numOrNull(row.next_fire_at),
  updatedAt: num(row.updated_at),
  maxAgeMs: numOrNull(row.max_age_ms),
  expectedMs: numOrNull(row.expected_ms),
});

export const syncFromRow = (row: Row): SyncRecord => ({
  id: str(row.id),
  connectorId: str(row.connector_id),
  appId: str(row.app_id),
  trigger: str(row.trigger) as SyncTrigger,
  state: str(row.state) as SyncState,
  attempt: num(row.attempt),
  queuedAt: num(row.queued_at),
  startedAt: numOrNull(row.started_at),
  finishedAt: numOrNull(row.finished_at),
  counts: json<SyncCounts | null>(row.counts, null),
  baselineCounts: json<SyncCounts | null>(row.baseline_counts, null),
  error: str(row.error),
  requestedBy: str(row.requested_by),
  runAfter: num(row.run_after),
  leaseOwner:
    row.lease_owner === null || row.lease_owner === undefined ? null : str(row.lease_owner),
  leaseExpiresAt: numOrNull(row.lease_expires_at),
  exemptResourceTypeIds: json(row.exempt_resource_type_ids, []),
  progress: json<SyncProgress | null>(row.progress, null),
  dataDrops: json<CountDrop[]>(row.data_drops, []),
});

export const taskFromRow = (row: Row): ProvisioningTaskRecord => ({
  id: str(row.id),
  appId: str(row.app_id),
  connectorId: str(row.connector_id),
  kind: str(row.kind) as TaskKind,
  state: str(row.state) as TaskState,
  entitlementId: str(row.entitlement_id),
  principal:
    row.principal_type_id === null || row.principal_type_id === undefined
      ? null
      : { resourceTypeId: str(row.principal_type_id), resourceId: str(row.principal_id) },
  grantId: str(row.grant_id),
  note: str(row.note),
  requestedBy: str(row.requested_by),
  createdAt: num(row.created_at),
  startedAt: numOrNull(row.started_at),
  finishedAt: numOrNull(row.finished_at),
  result: str(row.result),
  error: str(row.error),
  leaseOwner:
    row.lease_owner === null || row.lease_owner === undefined ? null : str(row.lease_owner),
  leaseExpiresAt: numOrNull(row.lease_expires_at),
});

export const presenceFromRow = (row: Row): PresenceRecord => ({
  connectorId: str(row.connector_id),
  hostId: str(row.host_id),
  sdk: str(row.sdk),
  capabilities: json(row.capabilities, []),
  helloAt: numOrNull(row.hello_at),
  lastSeenAt: num(row.last_seen_at),
  pollMs: num(row.poll_ms),
});

export const credentialFromRow = (row: Row): CredentialRecord => ({
  id: str(row.id),
  clientId: str(row.client_id),
  name: str(row.name),
  role: str(row.role) as Role,
  connectorId:
    row.connector_id === null || row.connector_id === undefined ? null : str(row.connector_id),
  publicJwk: json(row.public_jwk, { kty: "OKP", crv: "Ed25519", x: "" }),
  secretHash: str(row.secret_hash),
  createdAt: num(row.created_at),
  createdBy: str(row.created_by),
  revokedAt: numOrNull(row.revoked_at),
  lastUsedAt: numOrNull(row.last_used_at),
});

export const auditFromRow = (row: Row): AuditEvent => ({
  id: str(row.id),
  at: num(row.at),
  actor: str(row.actor),
  action: str(row.action),
  objectType: str(row.object_type),
  objectId: str(row.object_id),
  requestId: str(row.request_id),
  details: json(row.details, {}),
});

export const resourceTypeFromRow = (row: Row): ResourceTypeRecord => ({
  id: String(row.id),
  displayName: String(row.display_name),
  traits: json<ResourceTypeRecord["traits"]>(row.traits, []),
  skipDataDropCheck: flag(row.skip_data_drop_check),
});

export const resourceFromRow = (row: Row): ResourceRecord => ({
  resourceTypeId: String(row.resource_type_id),
  resourceId: String(row.resource_id),
  displayName: String(row.display_name),
  parent:
    row.parent_type_id !== null && row.parent_id !== null
      ? { resourceTypeId: String(row.parent_type_id), resourceId: String(row.parent_id) }
      : null,
});

export const entitlementFromRow = (row: Row): EntitlementRecord => ({
  id: String(row.id),
  resourceTypeId: String(row.resource_type_id),
  resourceId: String(row.resource_id),
  slug: String(row.slug),
  displayName: String(row.display_name),
});

export const grantFromRow = (row: Row): GrantRecord => ({
  id: String(row.id),
  entitlementId: String(row.entitlement_id),
  principal: {
    resourceTypeId: String(row.principal_type_id),
    resourceId: String(row.principal_id),
  },
});

/** A policy's per-type limits as stored (JSON text; null when it names no type). */
export const typeLimits = (policy: ConnectorRecord["dataDropPolicy"] | undefined): string | null =>
  policy?.resourceTypes && Object.keys(policy.resourceTypes).length > 0
    ? JSON.stringify(policy.resourceTypes)
    : null;

/** The metrics snapshot from its aggregate rows (both backends run the same queries). */
export const metricsFromRows = (rows: {
  readonly syncs: readonly Row[];
  readonly oldest: Row | undefined;
  readonly tasks: readonly Row[];
  readonly holds: readonly Row[];
  readonly connected: Row | undefined;
}): MetricsSnapshot => ({
  syncs: rows.syncs.map((row) => ({
    state: str(row.state),
    trigger: str(row.trigger),
    count: num(row.n),
  })),
  oldestRunnableQueuedAt: numOrNull(rows.oldest?.at),
  tasks: rows.tasks.map((row) => ({ state: str(row.state), count: num(row.n) })),
  holds: rows.holds.map((row) => ({ kind: str(row.kind), count: num(row.n) })),
  connectedServiceConnectors: num(rows.connected?.n ?? 0),
});
