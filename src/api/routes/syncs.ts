// Sync history: a connector's sync lifecycles, newest first, and one lifecycle by id.

import type { FastifyInstance } from "fastify";
import { requireConnector, requireSync } from "../../commands/lookups.js";
import { parsePageRequest } from "../../domain/pagination.js";
import { PageQuery } from "../contracts/common.js";
import { addRoute, pathParams, type ApiContext } from "../http.js";
import { syncJson, pageJson } from "../wire.js";

const TAGS = ["Sync"];
const BASE = "/api/v1/apps/:app_id/connectors/:connector_id/syncs";

export function syncRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx.runtime;

  addRoute(app, {
    method: "GET",
    url: BASE,
    operationId: "syncplane.v1.SyncService.List",
    summary: "List a connector's sync lifecycles, newest first",
    tags: TAGS,
    permission: "syncs.read",
    params: pathParams("app_id", "connector_id"),
    querystring: PageQuery,
    response: { $ref: "syncplane.v1.ListSyncLifecyclesResponse#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as { app_id: string; connector_id: string };
      const query = request.query as { page_size?: string; page_token?: string };
      const pageRequest = parsePageRequest(query.page_size, query.page_token);
      await requireConnector(store, app_id, connector_id);
      const page = await store.listSyncs(connector_id, pageRequest);
      return pageJson(page, (sync) => syncJson(sync));
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/:sync_lifecycle_id`,
    operationId: "syncplane.v1.SyncService.Get",
    summary: "Get one sync lifecycle",
    tags: TAGS,
    permission: "syncs.read",
    params: pathParams("app_id", "connector_id", "sync_lifecycle_id"),
    response: { $ref: "syncplane.v1.GetSyncLifecycleResponse#" },
    handler: async (request) => {
      const params = request.params as {
        app_id: string;
        connector_id: string;
        sync_lifecycle_id: string;
      };
      await requireConnector(store, params.app_id, params.connector_id);
      const sync = await requireSync(store, params.connector_id, params.sync_lifecycle_id);
      return { syncLifecycle: syncJson(sync, await store.listSyncEvents(sync.id)) };
    },
  });
}
