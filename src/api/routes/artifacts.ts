// A sync's files: C1's GetConnectorSyncDownloadURL hands out a short-lived signed URL for the
// sync's c1z, which this server serves itself (the signature is the credential, so the download
// needs no bearer token); the sync's log (the connector's output and syncplane's notes on each
// attempt) is read through the API.

import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { requireConnector, requireSync } from "../../commands/lookups.js";
import { notFound } from "../../domain/errors.js";
import {
  DOWNLOAD_URL_TTL_MS,
  signDownload,
  signingKey,
  verifyDownload,
} from "../../auth/signed-urls.js";
import { Text } from "../contracts/common.js";
import { addRoute, pathParams, type ApiContext } from "../http.js";

const SYNC_PATH = "/api/v1/apps/:app_id/connectors/:connector_id/syncs/:sync_id";

export function artifactRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, clock } = ctx.runtime;
  const { artifacts } = ctx.files;

  const syncOf = async (params: { app_id: string; connector_id: string; sync_id: string }) => {
    await requireConnector(store, params.app_id, params.connector_id);
    return requireSync(store, params.connector_id, params.sync_id);
  };

  addRoute(app, {
    method: "GET",
    url: `${SYNC_PATH}/download_url`,
    operationId: "c1.api.app.v1.ConnectorService.GetConnectorSyncDownloadURL",
    summary: "Get a short-lived URL to download the sync's c1z file",
    tags: ["Connector"],
    permission: "syncs.read",
    params: pathParams("app_id", "connector_id", "sync_id"),
    response: { $ref: "c1.api.app.v1.GetConnectorSyncDownloadURLResponse#" },
    handler: async (request) => {
      const params = request.params as { app_id: string; connector_id: string; sync_id: string };
      const sync = await syncOf(params);
      if ((await artifacts.size(sync.connectorId, sync.id, "c1z")) === null) {
        throw notFound(
          `sync "${sync.id}" has no c1z file: baton connectors' syncs that succeeded or are held keep one, for the newest ${artifacts.retention} syncs of the connector (see --artifact-retention)`,
        );
      }
      const now = clock.now();
      const key = await signingKey(store, now);
      const path = signDownload(key, {
        connectorId: sync.connectorId,
        syncId: sync.id,
        expires: Math.floor((now + DOWNLOAD_URL_TTL_MS) / 1000),
      });
      return { downloadUrl: `${ctx.files.publicUrl}${path}` };
    },
  });

  addRoute(app, {
    method: "GET",
    url: "/downloads/syncs/:sync_id/sync.c1z",
    operationId: "syncplane.v1.Downloads.GetSyncFile",
    summary: "Download a sync's c1z through a signed URL from GetConnectorSyncDownloadURL",
    tags: ["Connector"],
    params: pathParams("sync_id"),
    querystring: Type.Object(
      {
        connector: Text("id", { minLength: 1 }),
        expires: Type.Integer({ minimum: 0, maximum: 999_999_999_999 }),
        signature: Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_-]+$" }),
      },
      { additionalProperties: false },
    ),
    response: { type: "string", format: "binary" },
    produces: "application/octet-stream",
    errors: [403],
    handler: async (request, reply) => {
      const { sync_id } = request.params as { sync_id: string };
      const query = request.query as { connector: string; expires: number; signature: string };
      const now = clock.now();
      const grant = verifyDownload(
        await signingKey(store, now),
        sync_id,
        { connector: query.connector, expires: String(query.expires), signature: query.signature },
        now,
      );
      const size = await artifacts.size(grant.connectorId, grant.syncId, "c1z");
      if (size === null) {
        throw notFound(`the c1z of sync "${grant.syncId}" is no longer kept`);
      }
      return reply
        .header("content-type", "application/octet-stream")
        .header("content-length", size)
        .header("content-disposition", `attachment; filename="${grant.syncId}.c1z"`)
        .header("cache-control", "private, no-store")
        .send(artifacts.read(grant.connectorId, grant.syncId, "c1z"));
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${SYNC_PATH}/log`,
    operationId: "syncplane.v1.SyncService.GetLog",
    summary: "Read a sync's log: the connector's output and syncplane's notes on each attempt",
    tags: ["Sync"],
    permission: "syncs.read",
    params: pathParams("app_id", "connector_id", "sync_id"),
    response: { $ref: "syncplane.v1.GetSyncLogResponse#" },
    handler: async (request) => {
      const params = request.params as { app_id: string; connector_id: string; sync_id: string };
      const sync = await syncOf(params);
      return { lines: await artifacts.readLog(sync.connectorId, sync.id) };
    },
  });
}
