// Records → C1 JSON. protojson omits empty fields; so do these mappers (undefined is dropped by
// the serialiser).

import { formatDuration } from "../domain/freshness.js";
import { redactConfig } from "../domain/catalog.js";
import { connectorControlView } from "../domain/connector-view.js";
import { encodePageToken } from "../domain/pagination.js";
import type { Page } from "../store/store.js";
import {
  isConnected,
  type AppRecord,
  type AuditEvent as AuditRecord,
  type ConnectorAggregate,
  type SyncCounts,
  type SyncEvent,
  type SyncRecord,
} from "../domain/model.js";
import type { App } from "./contracts/apps.js";
import type { AuditEvent } from "./contracts/audit.js";
import type { Connector, ConnectorView } from "./contracts/connectors.js";
import type { SyncLifecycle, SyncProgress } from "./contracts/syncs.js";
import { shownDrop } from "../domain/data-drop.js";
import { estimateProgress } from "../domain/progress.js";
import type { ProvisioningTask } from "./contracts/provisioning.js";
import type { Hold } from "../domain/holds.js";
import { provisioningHolds, type ProvisioningTaskRecord } from "../domain/provisioning.js";

export const timestamp = (ms: number | null | undefined): string | undefined =>
  ms === null || ms === undefined ? undefined : new Date(ms).toISOString();

const text = (value: string): string | undefined => (value === "" ? undefined : value);
const flag = (value: boolean): boolean | undefined => (value ? true : undefined);
const list = <T>(values: readonly T[]): T[] | undefined =>
  values.length ? [...values] : undefined;

export function appJson(app: AppRecord): App {
  return {
    ...(app.attributes as Partial<App>),
    id: app.id,
    displayName: app.displayName,
    description: text(app.description),
    createdAt: timestamp(app.createdAt),
    updatedAt: timestamp(app.updatedAt),
  };
}

export function connectorJson({
  connector,
  holds,
  schedule,
  tasks,
  presence,
}: ConnectorAggregate): Connector {
  const view = connectorControlView(holds, connector.syncStatus);
  return {
    id: connector.id,
    appId: connector.appId,
    displayName: text(connector.displayName),
    description: text(connector.description),
    catalogId: connector.catalogId,
    config: connector.config ? redactConfig(connector.config) : undefined,
    configUpdatedAt: timestamp(connector.configUpdatedAt),
    status: {
      // protojson omits a zero enum: a connector that never synced reads back `status: {}`.
      status: view.status.status === "SYNC_STATUS_UNSPECIFIED" ? undefined : view.status.status,
      startedAt: timestamp(view.status.startedAt),
      completedAt: timestamp(view.status.completedAt),
      updatedAt: timestamp(view.status.updatedAt),
      lastError: text(view.status.lastError),
    },
    canResumeSync: flag(view.canResumeSync),
    disableCheckBadSync: flag(connector.disableCheckBadSync),
    syncDisabledAt: timestamp(view.syncDisabledAt),
    syncDisabledReason: text(view.syncDisabledReason),
    syncDisabledCategory: text(view.syncDisabledCategory),
    pausedUntil: timestamp(view.pausedUntil),
    freshness: schedule?.maxAgeMs ? { maxAge: formatDuration(schedule.maxAgeMs) } : undefined,
    connectorSyncCronSchedule:
      schedule && !schedule.maxAgeMs
        ? {
            cronSpec: schedule.cronSpec,
            timezone: schedule.timezone,
            start: timestamp(schedule.startAt),
          }
        : undefined,
    syncConfig: connector.syncResourceTypeIds.length
      ? { syncResourceTypeIds: [...connector.syncResourceTypeIds] }
      : undefined,
    userIds: list(connector.userIds),
    dataDropPolicy: connector.dataDropPolicy ? { ...connector.dataDropPolicy } : undefined,
    labels: Object.keys(connector.labels).length > 0 ? { ...connector.labels } : undefined,
    provisioningTasks:
      tasks && tasks.queued + tasks.held + tasks.running > 0
        ? {
            queued: tasks.queued || undefined,
            held: tasks.held || undefined,
            running: tasks.running || undefined,
          }
        : undefined,
    holds: list(
      holds.map((hold) => ({
        kind: hold.kind,
        createdAt: timestamp(hold.createdAt),
        createdBy: text(hold.actor),
        note: text(hold.note),
        until: timestamp(hold.until),
      })),
    ),
    serviceConnection: presence
      ? {
          connected: isConnected(presence, Date.now()),
          hostId: text(presence.hostId),
          sdk: text(presence.sdk),
          capabilities: list(presence.capabilities),
          helloAt: timestamp(presence.helloAt),
          lastSeenAt: timestamp(presence.lastSeenAt),
        }
      : undefined,
    createdAt: timestamp(connector.createdAt),
    updatedAt: timestamp(connector.updatedAt),
  };
}

// C1's appPath is a JSONPath into `expanded`; syncplane expands nothing, so it is omitted.
export const connectorViewJson = (aggregate: ConnectorAggregate): ConnectorView => ({
  connector: connectorJson(aggregate),
});

function countsJson(counts: SyncCounts | null): SyncLifecycle["counts"] {
  if (!counts) return undefined;
  return {
    resources: { ...counts.resources },
    entitlements: counts.entitlements,
    grants: counts.grants,
  };
}

/**
 * A running sync's progress: its phase and message when the worker reported them for this
 * attempt, and an estimate from `recentDurationsMs` (the connector's recent successful syncs).
 */
function progressJson(
  sync: SyncRecord,
  recentDurationsMs: readonly number[],
  now: number,
): SyncProgress | undefined {
  if (sync.state !== "RUNNING" || sync.startedAt === null) return undefined;
  const estimate = estimateProgress(sync.startedAt, now, recentDurationsMs);
  const report = sync.progress?.attempt === sync.attempt ? sync.progress : null;
  return {
    phase: report?.phase,
    message: report ? text(report.message) : undefined,
    updatedAt: timestamp(report?.at),
    elapsed: formatDuration(estimate.elapsedMs),
    typicalDuration: estimate.typicalMs === null ? undefined : formatDuration(estimate.typicalMs),
    estimatedFraction:
      estimate.fraction === null ? undefined : Math.round(estimate.fraction * 100) / 100,
    overdue: flag(estimate.overdue),
  };
}

export function syncJson(
  sync: SyncRecord,
  events?: readonly SyncEvent[],
  running?: { readonly recentDurationsMs: readonly number[]; readonly now: number },
): SyncLifecycle {
  return {
    id: sync.id,
    connectorId: sync.connectorId,
    appId: sync.appId,
    trigger: sync.trigger,
    state: sync.state,
    attempt: sync.attempt,
    queuedAt: timestamp(sync.queuedAt),
    startedAt: timestamp(sync.startedAt),
    finishedAt: timestamp(sync.finishedAt),
    counts: countsJson(sync.counts),
    baselineCounts: countsJson(sync.baselineCounts),
    error: text(sync.error),
    requestedBy: text(sync.requestedBy),
    exemptResourceTypeIds: list(sync.exemptResourceTypeIds),
    dataDrops: list(sync.dataDrops.map(shownDrop)),
    progress: running && progressJson(sync, running.recentDurationsMs, running.now),
    events: events?.map((event) => ({
      at: timestamp(event.at) as string,
      state: event.state,
      attempt: event.attempt,
      error: text(event.error),
    })),
  };
}

/** A task as the API shows it; `holds` are the connector's, for `heldBy` of a HELD task. */
export function taskJson(task: ProvisioningTaskRecord, holds: readonly Hold[]): ProvisioningTask {
  return {
    id: task.id,
    appId: task.appId,
    connectorId: task.connectorId,
    kind: task.kind,
    state: task.state,
    entitlementId: text(task.entitlementId),
    principal: task.principal ? { ...task.principal } : undefined,
    grantId: text(task.grantId),
    note: text(task.note),
    requestedBy: text(task.requestedBy),
    createdAt: timestamp(task.createdAt),
    startedAt: timestamp(task.startedAt),
    finishedAt: timestamp(task.finishedAt),
    heldBy:
      task.state === "HELD" ? list(provisioningHolds(holds).map((hold) => hold.kind)) : undefined,
    result: text(task.result),
    error: text(task.error),
  };
}

export const auditJson = (event: AuditRecord): AuditEvent => ({
  id: event.id,
  at: timestamp(event.at) as string,
  actor: event.actor,
  action: event.action,
  objectType: event.objectType,
  objectId: event.objectId,
  requestId: text(event.requestId),
  details: { ...event.details },
});

/** A page of records as C1 lists it: {list, nextPageToken}. */
export const pageJson = <T, J>(
  page: Page<T>,
  map: (item: T) => J,
): { list: J[]; nextPageToken?: string } => ({
  list: page.items.map(map),
  nextPageToken: page.nextKey ? encodePageToken(page.nextKey) : undefined,
});
