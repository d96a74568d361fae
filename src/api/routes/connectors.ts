import type { FastifyInstance } from "fastify";
import { createConnector, deleteConnector, updateConnector } from "../../commands/connectors.js";
import { recentSyncDurations } from "../../commands/freshness.js";
import { loadConnectorAggregate, requireApp } from "../../commands/lookups.js";
import { scheduleMayEnqueue } from "../../domain/holds.js";
import { parsePageRequest } from "../../domain/pagination.js";
import type { ConnectorPatch } from "../../store/store.js";
import { PageQuery } from "../contracts/common.js";
import {
  CONNECTOR_READ_ONLY,
  CONNECTOR_UPDATABLE,
  type ConnectorInput,
  type CreateConnectorRequest,
  type CreateDelegatedConnectorRequest,
  type UpdateConnectorRequest,
} from "../contracts/connectors.js";
import { actorOf, addRoute, pathParams, type ApiContext } from "../http.js";
import { resolveUpdateMask } from "../update-mask.js";
import { connectorJson, connectorViewJson, pageJson, syncJson, timestamp } from "../wire.js";

const TAGS = ["Connector"];
type DropPolicy = { thresholdPercent: number; minRows: number } | null;

export function connectorRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { runtime } = ctx;
  const { store } = runtime;
  const viewOf = async (appId: string, id: string) => ({
    connectorView: connectorViewJson(await loadConnectorAggregate(store, appId, id)),
  });

  addRoute(app, {
    method: "GET",
    url: "/api/v1/apps/:app_id/connectors",
    operationId: "c1.api.app.v1.ConnectorService.List",
    summary: "List an app's connectors",
    tags: TAGS,
    permission: "connectors.read",
    params: pathParams("app_id"),
    querystring: PageQuery,
    response: { $ref: "c1.api.app.v1.ConnectorServiceListResponse#" },
    handler: async (request) => {
      const { app_id: appId } = request.params as { app_id: string };
      const query = request.query as { page_size?: string; page_token?: string };
      const pageRequest = parsePageRequest(query.page_size, query.page_token);
      await requireApp(store, appId);
      const page = await store.listConnectors(appId, pageRequest);
      const ids = page.items.map((connector) => connector.id);
      const [holds, schedules, tasks, presence] = await Promise.all([
        store.listHoldsFor(ids),
        store.getSchedulesFor(ids),
        store.provisioningCounts(ids),
        store.getPresence(ids),
      ]);
      return pageJson(page, (connector) =>
        connectorViewJson({
          connector,
          holds: holds.get(connector.id) ?? [],
          schedule: schedules.get(connector.id) ?? null,
          tasks: tasks.get(connector.id),
          presence: presence.get(connector.id),
        }),
      );
    },
  });

  addRoute(app, {
    method: "GET",
    url: "/api/v1/connectors",
    operationId: "syncplane.v1.ConnectorService.ListOverviews",
    summary:
      "List every connector across apps, each with its app's name, newest sync and next scheduled run",
    tags: TAGS,
    permission: "connectors.read",
    querystring: PageQuery,
    response: { $ref: "syncplane.v1.ListConnectorOverviewsResponse#" },
    handler: async (request) => {
      const query = request.query as { page_size?: string; page_token?: string };
      const page = await store.listAllConnectors(
        parsePageRequest(query.page_size, query.page_token),
      );
      const ids = page.items.map((connector) => connector.id);
      const appIds = [...new Set(page.items.map((connector) => connector.appId))];
      const [holds, schedules, tasks, presence, latest, apps] = await Promise.all([
        store.listHoldsFor(ids),
        store.getSchedulesFor(ids),
        store.provisioningCounts(ids),
        store.getPresence(ids),
        store.latestSyncsFor(ids),
        Promise.all(appIds.map((id) => store.getApp(id))),
      ]);
      const appNames = new Map(
        apps.flatMap((found) => (found ? [[found.id, found.displayName]] : [])),
      );
      // A running sync's estimate needs its connector's recent durations (few run at once).
      const now = runtime.clock.now();
      const running = new Map(
        await Promise.all(
          [...latest.values()]
            .filter((sync) => sync.state === "RUNNING")
            .map(
              async (sync) =>
                [
                  sync.connectorId,
                  { recentDurationsMs: await recentSyncDurations(store, sync.connectorId), now },
                ] as const,
            ),
        ),
      );
      return pageJson(page, (connector) => {
        const connectorHolds = holds.get(connector.id) ?? [];
        const schedule = schedules.get(connector.id) ?? null;
        const lastSync = latest.get(connector.id);
        return {
          connector: connectorJson({
            connector,
            holds: connectorHolds,
            schedule,
            tasks: tasks.get(connector.id),
            presence: presence.get(connector.id),
          }),
          appDisplayName: appNames.get(connector.appId) || undefined,
          lastSync: lastSync && syncJson(lastSync, undefined, running.get(connector.id)),
          nextRunAt: scheduleMayEnqueue(connectorHolds)
            ? timestamp(schedule?.nextFireAt)
            : undefined,
        };
      });
    },
  });

  addRoute(app, {
    method: "POST",
    url: "/api/v1/apps/:app_id/connectors/create",
    operationId: "c1.api.app.v1.ConnectorService.Create",
    summary: "Create a connector",
    tags: TAGS,
    permission: "connectors.write",
    params: pathParams("app_id"),
    body: { $ref: "c1.api.app.v1.ConnectorServiceCreateRequestInput#" },
    response: { $ref: "c1.api.app.v1.ConnectorServiceCreateResponse#" },
    handler: async (request) => {
      const { app_id: appId } = request.params as { app_id: string };
      const body = request.body as CreateConnectorRequest;
      const created = await createConnector(runtime, actorOf(request), {
        appId,
        catalogId: body.catalogId,
        config: body.config,
        displayName: body.displayName,
        description: body.description,
        disableCheckBadSync: body.disableCheckBadSync,
        syncResourceTypeIds: body.syncConfig?.syncResourceTypeIds ?? undefined,
        userIds: body.userIds ?? undefined,
        dataDropPolicy: (body.dataDropPolicy as DropPolicy | undefined) ?? null,
        labels: body.labels ?? {},
      });
      return viewOf(appId, created.id);
    },
  });

  addRoute(app, {
    method: "POST",
    url: "/api/v1/apps/:app_id/connectors",
    operationId: "c1.api.app.v1.ConnectorService.CreateDelegated",
    summary: "Create a connector without a config (set it later with an update)",
    tags: TAGS,
    permission: "connectors.write",
    params: pathParams("app_id"),
    body: { $ref: "c1.api.app.v1.ConnectorServiceCreateDelegatedRequestInput#" },
    response: { $ref: "c1.api.app.v1.ConnectorServiceCreateResponse#" },
    handler: async (request) => {
      const { app_id: appId } = request.params as { app_id: string };
      const body = request.body as CreateDelegatedConnectorRequest;
      const created = await createConnector(runtime, actorOf(request), {
        appId,
        catalogId: body.catalogId,
        displayName: body.displayName,
        description: body.description,
        userIds: body.userIds ?? undefined,
      });
      return viewOf(appId, created.id);
    },
  });

  addRoute(app, {
    method: "GET",
    url: "/api/v1/apps/:app_id/connectors/:id",
    operationId: "c1.api.app.v1.ConnectorService.Get",
    summary: "Get a connector",
    tags: TAGS,
    permission: "connectors.read",
    params: pathParams("app_id", "id"),
    response: { $ref: "c1.api.app.v1.ConnectorServiceGetResponse#" },
    handler: async (request) => {
      const { app_id: appId, id } = request.params as { app_id: string; id: string };
      return viewOf(appId, id);
    },
  });

  addRoute(app, {
    method: "POST",
    url: "/api/v1/apps/:app_id/connectors/:id",
    operationId: "c1.api.app.v1.ConnectorService.Update",
    summary: "Update a connector (fields named by updateMask)",
    tags: TAGS,
    permission: "connectors.write",
    params: pathParams("app_id", "id"),
    body: { $ref: "c1.api.app.v1.ConnectorServiceUpdateRequestInput#" },
    response: { $ref: "c1.api.app.v1.ConnectorServiceUpdateResponse#" },
    handler: async (request) => {
      const { app_id: appId, id } = request.params as { app_id: string; id: string };
      const body = request.body as UpdateConnectorRequest;
      const input = (body.connector ?? {}) as ConnectorInput;
      const fields = resolveUpdateMask(
        body.updateMask,
        input as Record<string, unknown>,
        CONNECTOR_UPDATABLE,
        CONNECTOR_READ_ONLY,
      );
      await updateConnector(runtime, actorOf(request), {
        appId,
        connectorId: id,
        patch: patchOf(input, fields),
      });
      return viewOf(appId, id);
    },
  });

  addRoute(app, {
    method: "DELETE",
    url: "/api/v1/apps/:app_id/connectors/:id",
    operationId: "c1.api.app.v1.ConnectorService.Delete",
    summary: "Delete a connector",
    tags: TAGS,
    permission: "connectors.write",
    params: pathParams("app_id", "id"),
    body: { $ref: "c1.api.app.v1.ConnectorServiceDeleteRequestInput#" },
    response: { $ref: "c1.api.app.v1.ConnectorServiceDeleteResponse#" },
    handler: async (request) => {
      const { app_id: appId, id } = request.params as { app_id: string; id: string };
      await deleteConnector(runtime, actorOf(request), { appId, connectorId: id });
      // Its c1z files and logs go with it (the inventory rows are swept by the workers).
      await ctx.files.artifacts.removeConnector(id);
      return {};
    },
  });
}

function patchOf(
  input: ConnectorInput,
  fields: readonly string[],
): Omit<ConnectorPatch, "config" | "labels"> & { config?: unknown; labels?: unknown } {
  const patch: Record<string, unknown> = {};
  for (const field of fields) {
    switch (field) {
      case "displayName":
        patch.displayName = input.displayName ?? "";
        break;
      case "description":
        patch.description = input.description ?? "";
        break;
      case "config":
        patch.config = input.config ?? null;
        break;
      case "disableCheckBadSync":
        patch.disableCheckBadSync = input.disableCheckBadSync ?? false;
        break;
      case "syncConfig":
      case "syncConfig.syncResourceTypeIds":
        patch.syncResourceTypeIds =
          (input.syncConfig as { syncResourceTypeIds?: string[] } | undefined)
            ?.syncResourceTypeIds ?? [];
        break;
      case "userIds":
        patch.userIds = input.userIds ?? [];
        break;
      case "dataDropPolicy":
        patch.dataDropPolicy = (input.dataDropPolicy as DropPolicy | undefined) ?? null;
        break;
      case "labels":
        patch.labels = input.labels ?? {};
        break;
    }
  }
  return patch;
}
