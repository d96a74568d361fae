// The syncplane TypeScript SDK. Its shape follows the official C1 TypeScript SDK for the
// operations syncplane serves (sdk.connector.forceSync({appId, connectorId}), …), so the seed
// pages' samples run with only the import and the server URL changed.
//
// This entry runs in a browser as well as in Node: nothing it imports, directly or further down,
// may need a node: module, Buffer or an unguarded process (test/client-browser.test.ts walks the
// imports and bundles it for the browser to hold that). What needs Node — writing a download to
// a file — lives in the Node-only entry, ./node.ts ("syncplane/node").

import type {
  App,
  CreateAppRequest,
  ListAppsResponse,
  UpdateAppRequest,
} from "../api/contracts/apps.js";
import type { ListAuditEventsResponse } from "../api/contracts/audit.js";
import type { IntrospectResponse } from "../api/contracts/auth.js";
import type {
  ConnectorScheduleView,
  ConnectorViewResponse,
  CreateConnectorRequest,
  CreateDelegatedConnectorRequest,
  ListConnectorsResponse,
  PauseSyncRequest,
  RotateCredentialRequest,
  RotateCredentialResponse,
  UpdateConnectorRequest,
  UpdateConnectorScheduleRequest,
} from "../api/contracts/connectors.js";
import type {
  GetDownloadUrlResponse,
  GetSyncLogResponse,
  InventoryEntitlement,
  InventoryGrant,
  InventoryList,
  InventoryResource,
  InventoryResourceType,
} from "../api/contracts/inventory.js";
import type { BulkRequest, BulkResponse } from "../api/contracts/bulk.js";
import type {
  CreateWebhookRequest,
  CreateWebhookResponse,
  GetWebhookResponse,
  ListDeliveriesResponse,
  ListWebhooksResponse,
  TestWebhookResponse,
} from "../api/contracts/webhooks.js";
import type {
  GetSyncDiffResponse,
  ListConnectorOverviewsResponse,
  GetSyncResponse,
  ListSyncsResponse,
} from "../api/contracts/syncs.js";
import type {
  GrantRequest,
  ProvisioningTask,
  RevokeRequest,
} from "../api/contracts/provisioning.js";
import { SyncplaneError, errorFromResponse } from "./errors.js";
import { DEFAULT_REQUEST_TIMEOUT_MS, fetchOrExplain, readText } from "./network.js";
import { ClientCredentialsTokenSource } from "./token-source.js";

export { SyncplaneError } from "./errors.js";
export { ConnectionError } from "./network.js";
export type * from "../api/contracts/apps.js";
export type * from "../api/contracts/connectors.js";
export type * from "../api/contracts/syncs.js";
export type * from "../api/contracts/audit.js";
export type { IntrospectResponse, TokenResponse } from "../api/contracts/auth.js";
export type * from "../api/contracts/inventory.js";
export type * from "../api/contracts/provisioning.js";
export type * from "../api/contracts/bulk.js";
export type * from "../api/contracts/webhooks.js";

export interface ProvisioningTaskResponse {
  task: ProvisioningTask;
}
export interface ListProvisioningTasksResponse {
  list: ProvisioningTask[];
  nextPageToken?: string;
}

/** C1's name for the response of connector.getConnectorSyncDownloadURL. */
export type GetConnectorSyncDownloadURLResponse = GetDownloadUrlResponse;
export type ListInventoryResourceTypesResponse = InventoryList<InventoryResourceType>;
export type ListInventoryResourcesResponse = InventoryList<InventoryResource>;
export type ListInventoryEntitlementsResponse = InventoryList<InventoryEntitlement>;
export type ListInventoryGrantsResponse = InventoryList<InventoryGrant>;

export interface Security {
  /** A bearer token obtained elsewhere. */
  readonly bearerAuth?: string;
  /** Same as bearerAuth (the C1 SDK's name for an OAuth access token). */
  readonly oauth?: string;
  /** Client credentials: the SDK fetches and refreshes tokens itself. */
  readonly clientID?: string;
  readonly clientSecret?: string;
}

export interface SyncplaneOptions {
  readonly serverURL: string;
  readonly security?: Security;
  readonly fetch?: typeof fetch;
  /**
   * Time limit of one request in milliseconds, response included (default 60 000). A request
   * with no answer by then fails with DEADLINE_EXCEEDED; one that cannot connect fails with
   * UNAVAILABLE, naming the server and the reason (both are ConnectionError).
   */
  readonly timeoutMs?: number;
}

interface PageParams {
  readonly pageSize?: number;
  readonly pageToken?: string;
}

interface ConnectorParams {
  readonly appId: string;
  readonly connectorId: string;
}

/** One sync of a connector, as syncs.downloadResponse (and the Node entry's downloadSyncTo) name it. */
export type SyncDownloadRequest = ConnectorParams & { readonly syncLifecycleId: string };

/** Which sync an inventory list reads: the applied one unless `syncId` names a held sync. */
export interface InventorySyncParams {
  readonly syncId?: string;
}

export type ListInventoryResourceTypesRequest = ConnectorParams & InventorySyncParams;
export type ListInventoryResourcesRequest = ConnectorParams &
  InventorySyncParams &
  PageParams & { readonly resourceTypeId?: string };
export type ListInventoryEntitlementsRequest = ConnectorParams &
  InventorySyncParams &
  PageParams & {
    readonly resourceTypeId?: string;
    /** Needs resourceTypeId: resource ids are per type. */
    readonly resourceId?: string;
  };
export type ListInventoryGrantsRequest = ConnectorParams &
  InventorySyncParams &
  PageParams & {
    readonly entitlementId?: string;
    /** Both principal fields or neither. */
    readonly principalResourceTypeId?: string;
    readonly principalResourceId?: string;
  };

type Query = Record<string, string | number | undefined>;

class Transport {
  private readonly tokens: ClientCredentialsTokenSource | null;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  readonly serverURL: string;

  constructor(private readonly options: SyncplaneOptions) {
    this.serverURL = options.serverURL.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const security = options.security ?? {};
    this.tokens =
      security.clientID && security.clientSecret
        ? new ClientCredentialsTokenSource(
            `${this.serverURL}/auth/v1/token`,
            security.clientID,
            security.clientSecret,
            this.fetchImpl,
            this.timeoutMs,
          )
        : null;
  }

  async request<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: unknown,
    query?: Query,
  ): Promise<T> {
    const url = new URL(this.serverURL + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    const token = this.tokens
      ? await this.tokens.token()
      : (this.options.security?.bearerAuth ?? this.options.security?.oauth);
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetchOrExplain(
      this.fetchImpl,
      url,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      this.timeoutMs,
    );
    const text = await readText(response, url, this.timeoutMs);
    if (!response.ok) throw errorFromResponse(response.status, text);
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SyncplaneError(
        13,
        `server sent a non-JSON response (HTTP ${response.status})`,
        response.status,
      );
    }
  }

  /**
   * A plain GET with no credentials (a signed URL carries its own). No time limit: a c1z can be
   * large and its download slow; connection failures are still explained.
   */
  fetchUnauthenticated(url: string): Promise<Response> {
    return fetchOrExplain(this.fetchImpl, url, { method: "GET" }, null);
  }
}

const enc = encodeURIComponent;
const connectorPath = (p: ConnectorParams) =>
  `/api/v1/apps/${enc(p.appId)}/connectors/${enc(p.connectorId)}`;
const pageQuery = (p: PageParams): Query => ({ page_size: p.pageSize, page_token: p.pageToken });
const syncPath = (p: ConnectorParams & { syncLifecycleId: string }) =>
  `${connectorPath(p)}/syncs/${enc(p.syncLifecycleId)}`;
const inventoryQuery = (p: InventorySyncParams & PageParams, filters: Query = {}): Query => ({
  ...pageQuery(p),
  sync_id: p.syncId,
  ...filters,
});

export class Syncplane {
  private readonly transport: Transport;

  constructor(options: SyncplaneOptions) {
    this.transport = new Transport(options);
  }

  get serverURL(): string {
    return this.transport.serverURL;
  }

  readonly apps = {
    create: (request: CreateAppRequest) =>
      this.transport.request<{ app?: App }>("POST", "/api/v1/apps", request),
    get: (p: { id: string }) =>
      this.transport.request<{ app?: App }>("GET", `/api/v1/apps/${enc(p.id)}`),
    list: (p: PageParams = {}) =>
      this.transport.request<ListAppsResponse>("GET", "/api/v1/apps", undefined, pageQuery(p)),
    update: (p: { id: string; updateAppRequest: UpdateAppRequest }) =>
      this.transport.request<{ app?: App }>(
        "POST",
        `/api/v1/apps/${enc(p.id)}`,
        p.updateAppRequest,
      ),
    delete: (p: { id: string }) =>
      this.transport.request<object>("DELETE", `/api/v1/apps/${enc(p.id)}`, {}),
  };

  readonly connector = {
    create: (p: { appId: string; connectorServiceCreateRequest: CreateConnectorRequest }) =>
      this.transport.request<ConnectorViewResponse>(
        "POST",
        `/api/v1/apps/${enc(p.appId)}/connectors/create`,
        p.connectorServiceCreateRequest,
      ),
    createDelegated: (p: {
      appId: string;
      connectorServiceCreateDelegatedRequest: CreateDelegatedConnectorRequest;
    }) =>
      this.transport.request<ConnectorViewResponse>(
        "POST",
        `/api/v1/apps/${enc(p.appId)}/connectors`,
        p.connectorServiceCreateDelegatedRequest,
      ),
    get: (p: { appId: string; id: string }) =>
      this.transport.request<ConnectorViewResponse>(
        "GET",
        connectorPath({ appId: p.appId, connectorId: p.id }),
      ),
    list: (p: { appId: string } & PageParams) =>
      this.transport.request<ListConnectorsResponse>(
        "GET",
        `/api/v1/apps/${enc(p.appId)}/connectors`,
        undefined,
        pageQuery(p),
      ),
    /** syncplane: every connector across apps, with its newest sync and next scheduled run. */
    listOverviews: (p: PageParams = {}) =>
      this.transport.request<ListConnectorOverviewsResponse>(
        "GET",
        "/api/v1/connectors",
        undefined,
        pageQuery(p),
      ),
    update: (p: {
      appId: string;
      id: string;
      connectorServiceUpdateRequest: UpdateConnectorRequest;
    }) =>
      this.transport.request<ConnectorViewResponse>(
        "POST",
        connectorPath({ appId: p.appId, connectorId: p.id }),
        p.connectorServiceUpdateRequest,
      ),
    delete: (p: { appId: string; id: string }) =>
      this.transport.request<object>(
        "DELETE",
        connectorPath({ appId: p.appId, connectorId: p.id }),
        {},
      ),
    pauseSync: (p: ConnectorParams & { pauseSyncRequest?: PauseSyncRequest }) =>
      this.transport.request<object>("POST", `${connectorPath(p)}/pause`, p.pauseSyncRequest ?? {}),
    resumeSync: (p: ConnectorParams) =>
      this.transport.request<object>("POST", `${connectorPath(p)}/resume`, {}),
    forceSync: (p: ConnectorParams) =>
      this.transport.request<object>("POST", `${connectorPath(p)}/force_sync`, {}),
    confirmSyncValid: (p: ConnectorParams & { syncLifecycleId: string }) =>
      this.transport.request<object>(
        "POST",
        `${connectorPath(p)}/confirm_sync_valid/${enc(p.syncLifecycleId)}`,
        {},
      ),
    updateConnectorSchedule: (
      p: ConnectorParams & { updateConnectorScheduleRequest?: UpdateConnectorScheduleRequest },
    ) =>
      this.transport.request<object>(
        "POST",
        `${connectorPath(p)}/schedule`,
        p.updateConnectorScheduleRequest ?? {},
      ),
    getSchedule: (p: ConnectorParams & { count?: number }) =>
      this.transport.request<ConnectorScheduleView>(
        "GET",
        `${connectorPath(p)}/schedule`,
        undefined,
        {
          count: p.count,
        },
      ),
    /** The next fire times of a cron (with its zone) or a freshness target, without setting it. */
    previewSchedule: (
      p: ConnectorParams & {
        cronSpec?: string;
        timezone?: string;
        maxAge?: string;
        count?: number;
      },
    ) =>
      this.transport.request<ConnectorScheduleView>(
        "GET",
        `${connectorPath(p)}/schedule/preview`,
        undefined,
        { cron_spec: p.cronSpec, timezone: p.timezone, max_age: p.maxAge, count: p.count },
      ),
    /**
     * A new client credential for a baton-service connector (its secret is in this answer only);
     * the connector's earlier credentials are revoked.
     */
    rotateCredential: (p: RotateCredentialRequest) =>
      this.transport.request<RotateCredentialResponse>(
        "POST",
        "/api/v1/apps/connectors/credentials",
        { appId: p.appId, connectorId: p.connectorId },
      ),
    /** A short-lived signed URL (5 minutes) for the sync's c1z; fetch it without credentials. */
    getConnectorSyncDownloadURL: (p: ConnectorParams & { syncId: string }) =>
      this.transport.request<GetConnectorSyncDownloadURLResponse>(
        "GET",
        `${syncPath({ ...p, syncLifecycleId: p.syncId })}/download_url`,
      ),
  };

  readonly syncs = {
    /**
     * Newest queued first. Filters: `states` and `triggers` (any of), `queuedAfter` (at or
     * after) and `queuedBefore` (before), RFC 3339 times or Dates.
     */
    list: (
      p: ConnectorParams &
        PageParams & {
          states?: readonly string[];
          triggers?: readonly string[];
          queuedAfter?: string | Date;
          queuedBefore?: string | Date;
        },
    ) =>
      this.transport.request<ListSyncsResponse>("GET", `${connectorPath(p)}/syncs`, undefined, {
        ...pageQuery(p),
        state: p.states?.length ? p.states.join(",") : undefined,
        trigger: p.triggers?.length ? p.triggers.join(",") : undefined,
        queued_after: p.queuedAfter instanceof Date ? p.queuedAfter.toISOString() : p.queuedAfter,
        queued_before:
          p.queuedBefore instanceof Date ? p.queuedBefore.toISOString() : p.queuedBefore,
      }),
    get: (p: ConnectorParams & { syncLifecycleId: string }) =>
      this.transport.request<GetSyncResponse>("GET", syncPath(p)),
    /** The sync's log: syncplane's notes on each attempt and the connector's output. */
    getSyncLog: (p: ConnectorParams & { syncLifecycleId: string }) =>
      this.transport.request<GetSyncLogResponse>("GET", `${syncPath(p)}/log`),
    /**
     * What a finished sync removed and added compared with the applied sync (the applied sync:
     * with the one it replaced). Filters: `kind` (resources, entitlements, grants), `change`
     * (removed, added), `resourceTypeId`; `totals` on the first page only.
     */
    diff: (
      p: ConnectorParams &
        PageParams & {
          syncLifecycleId: string;
          kind?: "resources" | "entitlements" | "grants";
          change?: "removed" | "added";
          resourceTypeId?: string;
        },
    ) =>
      this.transport.request<GetSyncDiffResponse>("GET", `${syncPath(p)}/diff`, undefined, {
        ...pageQuery(p),
        kind: p.kind,
        change: p.change,
        resource_type_id: p.resourceTypeId,
      }),
    /**
     * The sync's c1z as a fetch Response with its body unread: through
     * connector.getConnectorSyncDownloadURL, then the signed URL fetched without credentials (it
     * carries its own) and with no time limit (a c1z can be large). A refused URL (expired,
     * forged, no c1z kept) raises its SyncplaneError here rather than arriving as a body. Read it
     * as the platform allows — `.blob()` in a browser, `.body` as a stream; in Node,
     * downloadSyncTo from "syncplane/node" writes it to a file.
     */
    downloadResponse: async (p: SyncDownloadRequest): Promise<Response> => {
      const { downloadUrl } = await this.connector.getConnectorSyncDownloadURL({
        appId: p.appId,
        connectorId: p.connectorId,
        syncId: p.syncLifecycleId,
      });
      if (!downloadUrl) throw new SyncplaneError(2, "the server sent no download URL", 200);
      const response = await this.transport.fetchUnauthenticated(downloadUrl);
      if (!response.ok) {
        // No time limit on this fetch, so none to name should reading the error body fail.
        throw errorFromResponse(response.status, await readText(response, downloadUrl, 0));
      }
      return response;
    },
  };

  /** What a connector synced: its applied sync (or, with syncId, a held one), page by page. */
  readonly inventory = {
    listResourceTypes: (p: ListInventoryResourceTypesRequest) =>
      this.transport.request<ListInventoryResourceTypesResponse>(
        "GET",
        `${connectorPath(p)}/inventory/resource_types`,
        undefined,
        { sync_id: p.syncId },
      ),
    listResources: (p: ListInventoryResourcesRequest) =>
      this.transport.request<ListInventoryResourcesResponse>(
        "GET",
        `${connectorPath(p)}/inventory/resources`,
        undefined,
        inventoryQuery(p, { resource_type_id: p.resourceTypeId }),
      ),
    listEntitlements: (p: ListInventoryEntitlementsRequest) =>
      this.transport.request<ListInventoryEntitlementsResponse>(
        "GET",
        `${connectorPath(p)}/inventory/entitlements`,
        undefined,
        inventoryQuery(p, { resource_type_id: p.resourceTypeId, resource_id: p.resourceId }),
      ),
    listGrants: (p: ListInventoryGrantsRequest) =>
      this.transport.request<ListInventoryGrantsResponse>(
        "GET",
        `${connectorPath(p)}/inventory/grants`,
        undefined,
        inventoryQuery(p, {
          entitlement_id: p.entitlementId,
          principal_resource_type_id: p.principalResourceTypeId,
          principal_resource_id: p.principalResourceId,
        }),
      ),
  };

  /**
   * Grant and revoke requests a connector runs in order (held while it is paused). Ids are the
   * inventory API's.
   */
  /**
   * Pause, resume or force every connector a selector chooses; `dryRun: true` answers what
   * would happen and changes nothing. One result per connector (a refusal is FAILED with the
   * single command's message).
   */
  readonly bulk = {
    pause: (request: BulkRequest) =>
      this.transport.request<BulkResponse>("POST", "/api/v1/bulk/connectors/pause", request),
    resume: (request: BulkRequest) =>
      this.transport.request<BulkResponse>("POST", "/api/v1/bulk/connectors/resume", request),
    forceSync: (request: BulkRequest) =>
      this.transport.request<BulkResponse>("POST", "/api/v1/bulk/connectors/force_sync", request),
  };

  /** Webhook subscriptions (the secret is in create's answer only) and their deliveries. */
  readonly webhooks = {
    list: (p: PageParams = {}) =>
      this.transport.request<ListWebhooksResponse>(
        "GET",
        "/api/v1/webhooks",
        undefined,
        pageQuery(p),
      ),
    create: (request: CreateWebhookRequest) =>
      this.transport.request<CreateWebhookResponse>("POST", "/api/v1/webhooks", request),
    get: (p: { webhookId: string }) =>
      this.transport.request<GetWebhookResponse>("GET", `/api/v1/webhooks/${enc(p.webhookId)}`),
    delete: (p: { webhookId: string }) =>
      this.transport.request<Record<string, never>>(
        "DELETE",
        `/api/v1/webhooks/${enc(p.webhookId)}`,
      ),
    /** Queues a webhook.test delivery to this subscription. */
    test: (p: { webhookId: string }) =>
      this.transport.request<TestWebhookResponse>(
        "POST",
        `/api/v1/webhooks/${enc(p.webhookId)}/test`,
        {},
      ),
    /** Newest first; `state` keeps only PENDING, DELIVERED or FAILED ones. */
    listDeliveries: (p: PageParams & { webhookId: string; state?: string }) =>
      this.transport.request<ListDeliveriesResponse>(
        "GET",
        `/api/v1/webhooks/${enc(p.webhookId)}/deliveries`,
        undefined,
        { ...pageQuery(p), state: p.state },
      ),
  };

  readonly provisioning = {
    grant: (p: ConnectorParams & GrantRequest) =>
      this.transport.request<ProvisioningTaskResponse>(
        "POST",
        `${connectorPath(p)}/provisioning/grant`,
        { entitlementId: p.entitlementId, principal: p.principal, note: p.note },
      ),
    revoke: (p: ConnectorParams & RevokeRequest) =>
      this.transport.request<ProvisioningTaskResponse>(
        "POST",
        `${connectorPath(p)}/provisioning/revoke`,
        { grantId: p.grantId, note: p.note },
      ),
    /** In queue (creation) order; `states` keeps only tasks in those states. */
    list: (p: ConnectorParams & PageParams & { states?: readonly string[] }) =>
      this.transport.request<ListProvisioningTasksResponse>(
        "GET",
        `${connectorPath(p)}/provisioning`,
        undefined,
        { ...pageQuery(p), state: p.states?.length ? p.states.join(",") : undefined },
      ),
    get: (p: ConnectorParams & { taskId: string }) =>
      this.transport.request<ProvisioningTaskResponse>(
        "GET",
        `${connectorPath(p)}/provisioning/${enc(p.taskId)}`,
      ),
    getLog: (p: ConnectorParams & { taskId: string }) =>
      this.transport.request<GetSyncLogResponse>(
        "GET",
        `${connectorPath(p)}/provisioning/${enc(p.taskId)}/log`,
      ),
    /** Only a QUEUED or HELD task; a started one is refused (FAILED_PRECONDITION). */
    cancel: (p: ConnectorParams & { taskId: string }) =>
      this.transport.request<ProvisioningTaskResponse>(
        "POST",
        `${connectorPath(p)}/provisioning/${enc(p.taskId)}/cancel`,
        {},
      ),
  };

  readonly auth = {
    introspect: () => this.transport.request<IntrospectResponse>("GET", "/api/v1/auth/introspect"),
  };

  readonly audit = {
    list: (p: PageParams & { objectType?: string; objectId?: string } = {}) =>
      this.transport.request<ListAuditEventsResponse>("GET", "/api/v1/audit_events", undefined, {
        ...pageQuery(p),
        object_type: p.objectType,
        object_id: p.objectId,
      }),
  };
}
