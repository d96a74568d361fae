// Connector commands: create, update, delete.

import {
  CONFIG_TYPES,
  configRequired,
  parseCatalogId,
  parseConnectorConfig,
  restoreRedacted,
} from "../domain/catalog.js";
import { failedPrecondition, invalidArgument } from "../domain/errors.js";
import { parseDataDropPolicy } from "../domain/data-drop.js";
import { parseLabels } from "../domain/labels.js";
import { checkLength, checkList, quote } from "../domain/limits.js";
import { NEVER_SYNCED, type ConnectorRecord } from "../domain/model.js";
import { defaultSchedule, nextFireAfter } from "../domain/schedule.js";
import { newId } from "../runtime.js";
import type { ConnectorPatch } from "../store/store.js";
import { audit, type Actor, type Runtime } from "./context.js";
import { enqueueSync } from "./enqueue.js";
import { lockApp, lockConnector } from "./lookups.js";

export interface CreateConnectorInput {
  readonly appId: string;
  readonly catalogId: unknown;
  readonly config?: unknown;
  readonly displayName?: string;
  readonly description?: string;
  readonly disableCheckBadSync?: boolean;
  readonly syncResourceTypeIds?: readonly string[];
  readonly userIds?: readonly string[];
  /** Checked by domain/data-drop.ts parseDataDropPolicy; null or absent: the defaults. */
  readonly dataDropPolicy?: unknown;
  readonly labels?: unknown;
}

/**
 * A new connector gets the default hourly schedule (at a minute spread by its id) and, when it
 * has what it needs to run, an INITIAL sync so its data arrives without waiting for the schedule.
 */
export async function createConnector(
  runtime: Runtime,
  actor: Actor,
  input: CreateConnectorInput,
): Promise<ConnectorRecord> {
  const catalogId = parseCatalogId(input.catalogId);
  checkConnectorFields(input);
  const parsed = parseConnectorConfig(catalogId, input.config);
  const config = parsed && restoreRedacted(parsed, null);
  const labels = parseLabels(input.labels);
  const dataDropPolicy = parseDataDropPolicy(input.dataDropPolicy);
  return runtime.store.transaction(async (tx) => {
    await lockApp(tx, input.appId); // a concurrent app delete waits for this create
    const now = runtime.clock.now();
    const id = newId(runtime.clock);
    const connector: ConnectorRecord = {
      id,
      appId: input.appId,
      displayName: input.displayName?.trim() || `${catalogId} connector`,
      description: input.description ?? "",
      catalogId,
      config,
      configUpdatedAt: config ? now : null,
      disableCheckBadSync: input.disableCheckBadSync ?? false,
      syncResourceTypeIds: input.syncResourceTypeIds ?? [],
      userIds: input.userIds ?? [],
      syncStatus: NEVER_SYNCED,
      appliedSyncId: null,
      previousAppliedSyncId: null,
      dataDropPolicy,
      labels,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    await tx.insertConnector(connector);
    const schedule = defaultSchedule(id);
    await tx.upsertSchedule({
      connectorId: id,
      ...schedule,
      startAt: now,
      nextFireAt: nextFireAfter(schedule, now),
      updatedAt: now,
    });
    const initial = await enqueueSync(tx, runtime, actor, connector, "INITIAL", now);
    await audit(tx, runtime, actor, now, {
      action: "connector.create",
      objectType: "connector",
      objectId: id,
      details: { appId: input.appId, catalogId, initialSyncId: initial.syncId },
    });
    return connector;
  });
}

export interface UpdateConnectorInput {
  readonly appId: string;
  readonly connectorId: string;
  readonly patch: Omit<ConnectorPatch, "config" | "labels" | "dataDropPolicy"> & {
    readonly config?: unknown;
    readonly labels?: unknown;
    readonly dataDropPolicy?: unknown;
  };
}

export async function updateConnector(
  runtime: Runtime,
  actor: Actor,
  input: UpdateConnectorInput,
): Promise<ConnectorRecord> {
  checkConnectorFields(input.patch);
  return runtime.store.transaction(async (tx) => {
    const current = await lockConnector(tx, input.appId, input.connectorId);
    const {
      config: rawConfig,
      labels: rawLabels,
      dataDropPolicy: rawPolicy,
      ...rest
    } = input.patch;
    const patch: ConnectorPatch = {
      ...rest,
      ...("labels" in input.patch && { labels: parseLabels(rawLabels) }),
      ...("dataDropPolicy" in input.patch && { dataDropPolicy: parseDataDropPolicy(rawPolicy) }),
    };
    // Nothing named: nothing changes (a client that sends back only read-only fields).
    if (Object.keys(input.patch).length === 0) return current;
    if ("config" in input.patch) {
      const catalogId = parseCatalogId(current.catalogId);
      const type = (rawConfig as { "@type"?: unknown } | null | undefined)?.["@type"];
      if (type !== undefined && type !== CONFIG_TYPES[catalogId]) {
        // The same config would be right for a connector of another kind: the connector's state
        // (its catalog), not the request, makes it wrong.
        throw failedPrecondition(
          `connector "${current.id}" is a ${catalogId} connector: its config must be a ${CONFIG_TYPES[catalogId]}, got ${quote(type)}`,
        );
      }
      const parsed = parseConnectorConfig(catalogId, rawConfig);
      const config = parsed && restoreRedacted(parsed, current.config);
      if (config === null && configRequired(catalogId)) {
        throw failedPrecondition(`a ${catalogId} connector needs a config; it cannot be cleared`);
      }
      Object.assign(patch, { config });
    }
    if (patch.displayName !== undefined && patch.displayName.trim() === "") {
      throw invalidArgument("displayName must not be blank");
    }
    const now = runtime.clock.now();
    await tx.updateConnector(current.id, patch, now);
    await audit(tx, runtime, actor, now, {
      action: "connector.update",
      objectType: "connector",
      objectId: current.id,
      details: { fields: Object.keys(patch) },
    });
    return (await tx.getConnector(input.appId, input.connectorId)) as ConnectorRecord;
  });
}

/** Bounds on the free-text and list fields of a create or update (the config has its own). */
function checkConnectorFields(fields: {
  readonly displayName?: string;
  readonly description?: string;
  readonly syncResourceTypeIds?: readonly string[];
  readonly userIds?: readonly string[];
}): void {
  if (fields.displayName !== undefined) {
    checkLength("displayName", fields.displayName, "displayName");
  }
  if (fields.description !== undefined) {
    checkLength("description", fields.description, "description");
  }
  if (fields.syncResourceTypeIds !== undefined) {
    checkList("syncConfig.syncResourceTypeIds", fields.syncResourceTypeIds, "externalId");
  }
  if (fields.userIds !== undefined) checkList("userIds", fields.userIds, "id", "userIds");
}

/**
 * Deleting cancels queued syncs and open provisioning tasks and drops the schedule; sync and task
 * history stays for the audit trail.
 */
export async function deleteConnector(
  runtime: Runtime,
  actor: Actor,
  input: { appId: string; connectorId: string },
): Promise<void> {
  await runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const now = runtime.clock.now();
    const canceled = await tx.cancelQueuedSyncs(connector.id, "connector deleted", now);
    const canceledTaskIds = await tx.cancelOpenTasks(connector.id, "connector deleted", now);
    await tx.deleteSchedule(connector.id);
    await tx.deleteConnector(connector.id, now);
    await audit(tx, runtime, actor, now, {
      action: "connector.delete",
      objectType: "connector",
      objectId: connector.id,
      details: { canceledSyncIds: canceled, canceledTaskIds },
    });
  });
}
