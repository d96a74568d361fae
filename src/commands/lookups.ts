// Loading the objects a command works on, with NOT_FOUND errors that say what was missing.

import { notFound } from "../domain/errors.js";
import { checkLength } from "../domain/limits.js";
import type {
  AppRecord,
  ConnectorAggregate,
  ConnectorRecord,
  SyncRecord,
} from "../domain/model.js";
import type { ProvisioningTaskRecord } from "../domain/provisioning.js";
import type { StoreReader, StoreTx } from "../store/store.js";

export async function requireApp(reader: StoreReader, appId: string): Promise<AppRecord> {
  checkLength("app_id", appId, "id");
  const app = await reader.getApp(appId);
  if (!app) throw notFound(`app "${appId}" not found`);
  return app;
}

export async function requireConnector(
  reader: StoreReader,
  appId: string,
  connectorId: string,
): Promise<ConnectorRecord> {
  checkIds(appId, connectorId);
  const connector = await reader.getConnector(appId, connectorId);
  if (!connector) throw notFound(connectorMissing(appId, connectorId));
  return connector;
}

/** One sync lifecycle of a connector. */
export async function requireSync(
  reader: StoreReader,
  connectorId: string,
  syncId: string,
): Promise<SyncRecord> {
  checkLength("sync id", syncId, "id");
  const sync = await reader.getSync(connectorId, syncId);
  if (!sync) throw notFound(`sync "${syncId}" not found for connector "${connectorId}"`);
  return sync;
}

/** One provisioning task of a connector. */
export async function requireTask(
  reader: StoreReader,
  connectorId: string,
  taskId: string,
): Promise<ProvisioningTaskRecord> {
  checkLength("task_id", taskId, "id");
  const task = await reader.getProvisioningTask(connectorId, taskId);
  if (!task) {
    throw notFound(`provisioning task "${taskId}" not found for connector "${connectorId}"`);
  }
  return task;
}

/** Inside a transaction: load and lock the app so concurrent commands on it serialise. */
export async function lockApp(tx: StoreTx, appId: string): Promise<AppRecord> {
  checkLength("app_id", appId, "id");
  const app = await tx.lockApp(appId);
  if (!app) throw notFound(`app "${appId}" not found`);
  return app;
}

/** Inside a transaction: load and lock the connector so concurrent commands on it serialise. */
export async function lockConnector(
  tx: StoreTx,
  appId: string,
  connectorId: string,
): Promise<ConnectorRecord> {
  checkIds(appId, connectorId);
  const connector = await tx.lockConnector(appId, connectorId);
  if (!connector) throw notFound(connectorMissing(appId, connectorId));
  return connector;
}

export async function loadConnectorAggregate(
  reader: StoreReader,
  appId: string,
  connectorId: string,
): Promise<ConnectorAggregate> {
  const connector = await requireConnector(reader, appId, connectorId);
  const [holds, schedule, tasks, presence] = await Promise.all([
    reader.listHolds(connectorId),
    reader.getSchedule(connectorId),
    reader.provisioningCounts([connectorId]),
    reader.getPresence([connectorId]),
  ]);
  return {
    connector,
    holds,
    schedule,
    tasks: tasks.get(connectorId),
    presence: presence.get(connectorId),
  };
}

function checkIds(appId: string, connectorId: string): void {
  checkLength("app_id", appId, "id");
  checkLength("connector_id", connectorId, "id");
}

function connectorMissing(appId: string, connectorId: string): string {
  return `connector "${connectorId}" not found in app "${appId}"`;
}
