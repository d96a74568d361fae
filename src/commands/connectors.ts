// Connector commands: create, update, delete.

import {
  configRequired,
  parseCatalogId,
  parseConnectorConfig,
  restoreRedacted,
} from "../domain/catalog.js";
import { invalidArgument } from "../domain/errors.js";
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
  readonly dataDropPolicy?: ConnectorRecord["dataDropPolicy"];
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
  const parsed = parseConnectorConfig(catalogId, input.config);
  const config = parsed && restoreRedacted(parsed, null);
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
      dataDropPolicy: input.dataDropPolicy ?? null,
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
  readonly patch: Omit<ConnectorPatch, "config"> & { readonly config?: unknown };
}

export async function updateConnector(
  runtime: Runtime,
  actor: Actor,
  input: UpdateConnectorInput,
): Promise<ConnectorRecord> {
  return runtime.store.transaction(async (tx) => {
    const current = await lockConnector(tx, input.appId, input.connectorId);
    const { config: rawConfig, ...rest } = input.patch;
    const patch: ConnectorPatch = { ...rest };
    if ("config" in input.patch) {
      const catalogId = parseCatalogId(current.catalogId);
      const parsed = parseConnectorConfig(catalogId, rawConfig);
      const config = parsed && restoreRedacted(parsed, current.config);
      if (config === null && configRequired(catalogId)) {
        throw invalidArgument(`a ${catalogId} connector needs a config; it cannot be cleared`);
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

/** Deleting cancels queued syncs and drops the schedule; sync history stays for the audit trail. */
export async function deleteConnector(
  runtime: Runtime,
  actor: Actor,
  input: { appId: string; connectorId: string },
): Promise<void> {
  await runtime.store.transaction(async (tx) => {
    const connector = await lockConnector(tx, input.appId, input.connectorId);
    const now = runtime.clock.now();
    const canceled = await tx.cancelQueuedSyncs(connector.id, "connector deleted", now);
    await tx.deleteSchedule(connector.id);
    await tx.deleteConnector(connector.id, now);
    await audit(tx, runtime, actor, now, {
      action: "connector.delete",
      objectType: "connector",
      objectId: connector.id,
      details: { canceledSyncIds: canceled },
    });
  });
}
