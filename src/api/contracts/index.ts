// Every named schema of the wire contract, registered once with the HTTP server (for $ref
// resolution, validation, serialisation and OpenAPI components).

import * as apps from "./apps.js";
import * as audit from "./audit.js";
import * as auth from "./auth.js";
import * as bulk from "./bulk.js";
import { ErrorBody } from "./common.js";
import * as connectors from "./connectors.js";
import * as inventory from "./inventory.js";
import * as provisioning from "./provisioning.js";
import * as syncs from "./syncs.js";
import * as webhooks from "./webhooks.js";

/** A named schema of the contract: a JSON Schema with an `$id`. */
export type NamedSchema = Record<string, unknown> & { readonly $id: string };

export const NAMED_SCHEMAS = [
  ErrorBody,
  apps.App,
  apps.CreateAppRequest,
  apps.UpdateAppRequest,
  apps.CreateAppResponse,
  apps.GetAppResponse,
  apps.UpdateAppResponse,
  apps.ListAppsResponse,
  apps.DeleteAppRequest,
  apps.DeleteAppResponse,
  connectors.DataDropPolicy,
  connectors.ConnectorStatus,
  connectors.ConnectorSyncCronSchedule,
  connectors.SyncConfig,
  connectors.Connector,
  connectors.ConnectorView,
  connectors.CreateConnectorRequest,
  connectors.CreateDelegatedConnectorRequest,
  connectors.UpdateConnectorRequest,
  connectors.CreateConnectorResponse,
  connectors.GetConnectorResponse,
  connectors.UpdateConnectorResponse,
  connectors.ListConnectorsResponse,
  connectors.DeleteConnectorRequest,
  connectors.DeleteConnectorResponse,
  connectors.PauseSyncRequest,
  connectors.PauseSyncResponse,
  connectors.ResumeSyncRequest,
  connectors.ResumeSyncResponse,
  connectors.ForceSyncRequest,
  connectors.ForceSyncResponse,
  connectors.ConfirmSyncValidRequest,
  connectors.ConfirmSyncValidResponse,
  connectors.ConnectorScheduleCron,
  connectors.FreshnessTarget,
  connectors.UpdateConnectorScheduleRequest,
  connectors.UpdateConnectorScheduleResponse,
  connectors.ConnectorScheduleView,
  connectors.RotateCredentialRequest,
  connectors.ConnectorCredential,
  connectors.RotateCredentialResponse,
  syncs.SyncCounts,
  syncs.SyncProgress,
  syncs.DataDrop,
  syncs.SyncLifecycle,
  syncs.ListSyncsResponse,
  syncs.ConnectorOverview,
  syncs.ListConnectorOverviewsResponse,
  syncs.GetSyncResponse,
  syncs.SyncDiffTotals,
  syncs.SyncDiffItem,
  syncs.GetSyncDiffResponse,
  webhooks.Webhook,
  webhooks.CreateWebhookRequest,
  webhooks.CreateWebhookResponse,
  webhooks.GetWebhookResponse,
  webhooks.ListWebhooksResponse,
  webhooks.WebhookDelivery,
  webhooks.ListDeliveriesResponse,
  webhooks.TestWebhookResponse,
  auth.TokenRequest,
  auth.OAuthErrorBody,
  auth.TokenResponse,
  auth.IntrospectResponse,
  audit.AuditEvent,
  audit.ListAuditEventsResponse,
  inventory.InventoryResourceType,
  inventory.InventoryResource,
  inventory.InventoryEntitlement,
  inventory.InventoryGrant,
  inventory.ListResourceTypesResponse,
  inventory.ListResourcesResponse,
  inventory.ListEntitlementsResponse,
  inventory.ListGrantsResponse,
  inventory.GetDownloadUrlResponse,
  inventory.SyncLogLine,
  inventory.GetSyncLogResponse,
  bulk.ConnectorSelector,
  bulk.BulkRequest,
  bulk.BulkControlRequest,
  bulk.BulkResult,
  bulk.BulkResponse,
  provisioning.ProvisioningTask,
  provisioning.GrantRequest,
  provisioning.RevokeRequest,
  provisioning.CancelTaskRequest,
  provisioning.TaskResponse,
  provisioning.ListTasksResponse,
] as unknown as readonly NamedSchema[];

/**
 * The JSON request bodies, and the named schemas they use: read the protojson way, where an
 * optional field may also be null (src/api/protojson.ts).
 */
export const JSON_REQUEST_SCHEMAS = [
  apps.CreateAppRequest,
  apps.UpdateAppRequest,
  apps.DeleteAppRequest,
  connectors.DataDropPolicy,
  connectors.SyncConfig,
  connectors.CreateConnectorRequest,
  connectors.CreateDelegatedConnectorRequest,
  connectors.UpdateConnectorRequest,
  connectors.DeleteConnectorRequest,
  connectors.PauseSyncRequest,
  connectors.ResumeSyncRequest,
  connectors.ForceSyncRequest,
  connectors.ConfirmSyncValidRequest,
  connectors.ConnectorScheduleCron,
  connectors.UpdateConnectorScheduleRequest,
  connectors.RotateCredentialRequest,
  provisioning.GrantRequest,
  provisioning.RevokeRequest,
  provisioning.CancelTaskRequest,
] as unknown as readonly NamedSchema[];

export { apps, audit, auth, connectors, inventory, provisioning, syncs };
