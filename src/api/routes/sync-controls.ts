// The five seed operations of C1's ConnectorService (src: shared/seeds), plus a read of the
// schedule with its next fire times (a syncplane extension used by `connectors schedule show`).

import type { FastifyInstance } from "fastify";
import { confirmSyncValid } from "../../commands/confirm-sync-valid.js";
import { forceSync } from "../../commands/force-sync.js";
import { loadConnectorAggregate } from "../../commands/lookups.js";
import { pauseSync } from "../../commands/pause-sync.js";
import { resumeSync } from "../../commands/resume-sync.js";
import { updateConnectorSchedule } from "../../commands/update-schedule.js";
import { hasHold } from "../../domain/holds.js";
import { nextFires } from "../../domain/schedule.js";
import { invalidArgument } from "../../domain/errors.js";
import type { PauseSyncRequest, UpdateConnectorScheduleRequest } from "../contracts/connectors.js";
import { actorOf, addRoute, pathParams, type ApiContext } from "../http.js";
import { timestamp } from "../wire.js";

const TAGS = ["Connector"];
const BASE = "/api/v1/apps/:app_id/connectors/:connector_id";
type Ref = { app_id: string; connector_id: string };

export function syncControlRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { runtime } = ctx;

  addRoute(app, {
    method: "POST",
    url: `${BASE}/pause`,
    operationId: "c1.api.app.v1.ConnectorService.PauseSync",
    summary: "Pause syncing and provisioning for a connector",
    tags: TAGS,
    permission: "connectors.control",
    params: pathParams("app_id", "connector_id"),
    body: { $ref: "c1.api.app.v1.PauseSyncRequestInput#" },
    response: { $ref: "c1.api.app.v1.PauseSyncResponse#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      const body = request.body as PauseSyncRequest;
      await pauseSync(runtime, actorOf(request), {
        appId: app_id,
        connectorId: connector_id,
        note: body.note,
      });
      return {};
    },
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/resume`,
    operationId: "c1.api.app.v1.ConnectorService.ResumeSync",
    summary: "Resume a paused connector and trigger a sync",
    tags: TAGS,
    permission: "connectors.control",
    params: pathParams("app_id", "connector_id"),
    body: { $ref: "c1.api.app.v1.ResumeSyncRequestInput#" },
    response: { $ref: "c1.api.app.v1.ResumeSyncResponse#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      await resumeSync(runtime, actorOf(request), { appId: app_id, connectorId: connector_id });
      return {};
    },
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/force_sync`,
    operationId: "c1.api.app.v1.ConnectorService.ForceSync",
    summary: "Queue a sync now",
    tags: TAGS,
    permission: "connectors.control",
    params: pathParams("app_id", "connector_id"),
    body: { $ref: "c1.api.app.v1.ForceSyncRequestInput#" },
    response: { $ref: "c1.api.app.v1.ForceSyncResponse#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      await forceSync(runtime, actorOf(request), { appId: app_id, connectorId: connector_id });
      return {};
    },
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/confirm_sync_valid/:sync_lifecycle_id`,
    operationId: "c1.api.app.v1.ConnectorService.ConfirmSyncValid",
    summary: "Confirm a sync held in ERRORED_NO_DATA and apply it",
    tags: TAGS,
    permission: "connectors.control",
    params: pathParams("app_id", "connector_id", "sync_lifecycle_id"),
    body: { $ref: "c1.api.app.v1.ConfirmSyncValidRequestInput#" },
    response: { $ref: "c1.api.app.v1.ConfirmSyncValidResponse#" },
    handler: async (request) => {
      const { app_id, connector_id, sync_lifecycle_id } = request.params as Ref & {
        sync_lifecycle_id: string;
      };
      await confirmSyncValid(runtime, actorOf(request), {
        appId: app_id,
        connectorId: connector_id,
        syncLifecycleId: sync_lifecycle_id,
      });
      return {};
    },
  });

  addRoute(app, {
    method: "POST",
    url: `${BASE}/schedule`,
    operationId: "c1.api.app.v1.ConnectorService.UpdateConnectorSchedule",
    summary: "Set the connector's cron schedule (a body without cron clears it)",
    tags: TAGS,
    permission: "connectors.control",
    params: pathParams("app_id", "connector_id"),
    body: { $ref: "c1.api.app.v1.UpdateConnectorScheduleRequestInput#" },
    response: { $ref: "c1.api.app.v1.UpdateConnectorScheduleResponse#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      const body = request.body as UpdateConnectorScheduleRequest;
      await updateConnectorSchedule(runtime, actorOf(request), {
        appId: app_id,
        connectorId: connector_id,
        cron: body.cron ?? null,
      });
      return {};
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/schedule`,
    operationId: "syncplane.v1.ConnectorService.GetConnectorSchedule",
    summary: "Read the connector's schedule with its next fire times",
    tags: TAGS,
    permission: "connectors.read",
    params: pathParams("app_id", "connector_id"),
    querystring: {
      type: "object",
      properties: { count: { type: "string", pattern: "^[0-9]+$" } },
      additionalProperties: false,
    },
    response: { $ref: "syncplane.v1.ConnectorScheduleView#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      const count = Number((request.query as { count?: string }).count ?? 5);
      if (count < 1 || count > 100) throw invalidArgument("count must be from 1 to 100");
      const { schedule, holds } = await loadConnectorAggregate(runtime.store, app_id, connector_id);
      if (!schedule) return { nextFireTimes: [], paused: hasHold(holds, "PAUSED") || undefined };
      const fires = nextFires(schedule, runtime.clock.now(), count);
      return {
        cron: { cronSpec: schedule.cronSpec, timezone: schedule.timezone },
        start: timestamp(schedule.startAt),
        nextFireTimes: fires.map((fire) => timestamp(fire) as string),
        paused: hasHold(holds, "PAUSED") || undefined,
      };
    },
  });
}
