// Browsing what a connector synced: resource types, resources, entitlements and grants of its
// applied sync — or, with `sync_id`, of a sync held in ERRORED_NO_DATA (to look at a suspicious
// sync before confirming it) or of the sync the applied one replaced. Page tokens remember the sync they started on: a page never mixes
// two syncs, and a token whose sync was replaced and cleaned up asks the client to start again.

import { DEFAULT_DATA_DROP_POLICY, limitsFor } from "../../domain/data-drop.js";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { requireConnector, requireSync } from "../../commands/lookups.js";
import { aborted, failedPrecondition, invalidArgument } from "../../domain/errors.js";
import { checkLength } from "../../domain/limits.js";
import type { ConnectorRecord } from "../../domain/model.js";
import { encodePageToken, parsePageRequest } from "../../domain/pagination.js";
import type { Page, StoreReader } from "../../store/store.js";
import { PageSize, PageToken, Text } from "../contracts/common.js";
import { addRoute, pathParams, type ApiContext } from "../http.js";

const TAGS = ["Inventory"];
const BASE = "/api/v1/apps/:app_id/connectors/:connector_id/inventory";

const query = (...filters: string[]) =>
  Type.Object(
    {
      page_size: Type.Optional(PageSize),
      page_token: Type.Optional(PageToken),
      sync_id: Type.Optional(
        Text("id", {
          description:
            "A sync held in ERRORED_NO_DATA, or the sync the applied one replaced (default: the applied sync).",
        }),
      ),
      ...Object.fromEntries(filters.map((name) => [name, Type.Optional(Text("externalId"))])),
    },
    { additionalProperties: false },
  );

type Query = Readonly<Record<string, string | undefined>>;

interface Selected {
  readonly syncId: string;
  readonly after: string | null;
  readonly pageSize: number;
}

/** Which sync a request reads, and where its page starts. */
async function selectSync(
  store: StoreReader,
  connector: ConnectorRecord,
  q: Query,
): Promise<Selected> {
  const request = parsePageRequest(q.page_size, q.page_token);
  let syncId = q.sync_id || connector.appliedSyncId;
  let after: string | null = null;
  if (request.after !== null) {
    let token: { s?: unknown; k?: unknown };
    try {
      token = JSON.parse(request.after) as { s?: unknown; k?: unknown };
    } catch {
      throw invalidArgument("page_token does not belong to this list; start again without it");
    }
    if (typeof token.s !== "string" || typeof token.k !== "string") {
      throw invalidArgument("page_token does not belong to this list; start again without it");
    }
    if (q.sync_id && q.sync_id !== token.s) {
      throw invalidArgument("page_token was issued for another sync_id; start again without it");
    }
    syncId = token.s;
    after = token.k;
  }
  if (!syncId) {
    throw failedPrecondition(
      `connector "${connector.id}" has no applied sync yet; run one with ForceSync`,
    );
  }
  if (syncId !== connector.appliedSyncId && syncId !== connector.previousAppliedSyncId) {
    const sync = await requireSync(store, connector.id, syncId);
    if (sync.state !== "ERRORED_NO_DATA") {
      if (request.after !== null) {
        throw aborted(
          `the connector's inventory changed since the first page (sync ${syncId} is no longer applied); start again without page_token`,
        );
      }
      throw failedPrecondition(
        `sync "${syncId}" is ${sync.state} and no longer keeps its inventory: only the applied sync, the sync it replaced and syncs held in ERRORED_NO_DATA do`,
      );
    }
  }
  return { syncId, after, pageSize: request.pageSize };
}

function listJson<T, J>(syncId: string, page: Page<T>, map: (item: T) => J) {
  return {
    syncId,
    list: page.items.map(map),
    nextPageToken: page.nextKey
      ? encodePageToken(JSON.stringify({ s: syncId, k: page.nextKey }))
      : undefined,
  };
}

const identity = <T>(item: T): T => item;

export function inventoryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx.runtime;
  const params = pathParams("app_id", "connector_id");
  const load = async (request: { params: unknown; query: unknown }) => {
    const { app_id, connector_id } = request.params as { app_id: string; connector_id: string };
    const connector = await requireConnector(store, app_id, connector_id);
    const q = request.query as Query;
    for (const [name, value] of Object.entries(q)) {
      if (typeof value !== "string" || name === "page_token") continue;
      checkLength(name, value, name === "sync_id" ? "id" : "externalId");
    }
    return { q, connector, selected: await selectSync(store, connector, q) };
  };

  addRoute(app, {
    method: "GET",
    url: `${BASE}/resource_types`,
    operationId: "syncplane.v1.InventoryService.ListResourceTypes",
    summary: "List the resource types of the connector's applied sync",
    tags: TAGS,
    permission: "syncs.read",
    params,
    errors: [409],
    querystring: query(),
    response: { $ref: "syncplane.v1.ListInventoryResourceTypesResponse#" },
    handler: async (request) => {
      const { selected, connector } = await load(request);
      const types = await store.listInventoryResourceTypes(selected.syncId);
      const policy = connector.dataDropPolicy ?? DEFAULT_DATA_DROP_POLICY;
      // protojson leaves out empty lists and false booleans.
      return {
        syncId: selected.syncId,
        list: types.map((t) => ({
          id: t.id,
          displayName: t.displayName,
          traits: t.traits.length > 0 ? t.traits : undefined,
          skipDataDropCheck: t.skipDataDropCheck || undefined,
          dataDropLimits:
            t.skipDataDropCheck || connector.disableCheckBadSync
              ? undefined
              : (({ thresholdPercent, minRows }) => ({ thresholdPercent, minRows }))(
                  limitsFor(policy, t.id),
                ),
        })),
      };
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/resources`,
    operationId: "syncplane.v1.InventoryService.ListResources",
    summary: "List the resources of the connector's applied sync, optionally of one type",
    tags: TAGS,
    permission: "syncs.read",
    params,
    errors: [409],
    querystring: query("resource_type_id"),
    response: { $ref: "syncplane.v1.ListInventoryResourcesResponse#" },
    handler: async (request) => {
      const { q, selected } = await load(request);
      const page = await store.listInventoryResources(
        selected.syncId,
        { resourceTypeId: q.resource_type_id || undefined },
        { pageSize: selected.pageSize, after: selected.after },
      );
      return listJson(selected.syncId, page, (r) => ({
        resourceTypeId: r.resourceTypeId,
        resourceId: r.resourceId,
        displayName: r.displayName,
        parent: r.parent ?? undefined,
      }));
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/entitlements`,
    operationId: "syncplane.v1.InventoryService.ListEntitlements",
    summary:
      "List the entitlements of the connector's applied sync, optionally of one resource type and/or resource id",
    tags: TAGS,
    permission: "syncs.read",
    params,
    errors: [409],
    querystring: query("resource_type_id", "resource_id"),
    response: { $ref: "syncplane.v1.ListInventoryEntitlementsResponse#" },
    handler: async (request) => {
      const { q, selected } = await load(request);
      const page = await store.listInventoryEntitlements(
        selected.syncId,
        { resourceTypeId: q.resource_type_id || undefined, resourceId: q.resource_id || undefined },
        { pageSize: selected.pageSize, after: selected.after },
      );
      return listJson(selected.syncId, page, identity);
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/grants`,
    operationId: "syncplane.v1.InventoryService.ListGrants",
    summary:
      "List the grants of the connector's applied sync, by entitlement and/or principal (type, id or both)",
    tags: TAGS,
    permission: "syncs.read",
    params,
    errors: [409],
    querystring: query("entitlement_id", "principal_resource_type_id", "principal_resource_id"),
    response: { $ref: "syncplane.v1.ListInventoryGrantsResponse#" },
    handler: async (request) => {
      const { q, selected } = await load(request);
      const type = q.principal_resource_type_id || undefined;
      const id = q.principal_resource_id || undefined;
      const page = await store.listInventoryGrants(
        selected.syncId,
        {
          entitlementId: q.entitlement_id || undefined,
          principal: type || id ? { resourceTypeId: type, resourceId: id } : undefined,
        },
        { pageSize: selected.pageSize, after: selected.after },
      );
      return listJson(selected.syncId, page, identity);
    },
  });
}
