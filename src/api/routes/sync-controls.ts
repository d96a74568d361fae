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
import { formatDuration, previewFreshness } from "../../domain/freshness.js";
import { freshnessPlanOf } from "../../commands/freshness.js";
import { invalidArgument } from "../../domain/errors.js";
import type { PauseSyncRequest, UpdateConnectorScheduleRequest } from "../contracts/connectors.js";
import type { Actor } from "../../commands/context.js";
import { actorOf, addRoute, pathParams, type ApiContext } from "../http.js";
import { timestamp } from "../wire.js";

const TAGS = ["Connector"];
const MAX_PREVIEW = 100;
const BASE = "/api/v1/apps/:app_id/connectors/:connector_id";
type Ref = { app_id: string; connector_id: string; sync_lifecycle_id?: string };

export function syncControlRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { runtime } = ctx;

  /** One seed operation: POST, C1's operation id and schemas by name, answers {}. */
  const control = (
    path: string,
    name: string,
    summary: string,
    run: (
      actor: Actor,
      ref: { appId: string; connectorId: string },
      params: Ref,
      body: unknown,
    ) => Promise<unknown>,
  ) => {
    const params = path.includes(":sync_lifecycle_id")
      ? pathParams("app_id", "connector_id", "sync_lifecycle_id")
      : pathParams("app_id", "connector_id");
    addRoute(app, {
      method: "POST",
      url: `${BASE}/${path}`,
      operationId: `c1.api.app.v1.ConnectorService.${name}`,
      summary,
      tags: TAGS,
      permission: "connectors.control",
      params,
      body: { $ref: `c1.api.app.v1.${name}RequestInput#` },
      response: { $ref: `c1.api.app.v1.${name}Response#` },
      handler: async (request) => {
        const p = request.params as Ref;
        await run(
          actorOf(request),
          { appId: p.app_id, connectorId: p.connector_id },
          p,
          request.body,
        );
        return {};
      },
    });
  };

  control(
    "pause",
    "PauseSync",
    "Pause syncing and provisioning for a connector",
    (actor, ref, _p, body) =>
      pauseSync(runtime, actor, {
        ...ref,
        note: (body as PauseSyncRequest).note ?? undefined,
        until: (body as PauseSyncRequest).until ?? undefined,
      }),
  );
  control("resume", "ResumeSync", "Resume a paused connector and trigger a sync", (actor, ref) =>
    resumeSync(runtime, actor, ref),
  );
  control("force_sync", "ForceSync", "Queue a sync now", (actor, ref) =>
    forceSync(runtime, actor, ref),
  );
  control(
    "confirm_sync_valid/:sync_lifecycle_id",
    "ConfirmSyncValid",
    "Confirm a sync held in ERRORED_NO_DATA and apply it",
    (actor, ref, p) =>
      confirmSyncValid(runtime, actor, { ...ref, syncLifecycleId: p.sync_lifecycle_id ?? "" }),
  );
  control(
    "schedule",
    "UpdateConnectorSchedule",
    "Set the connector's cron schedule, or (syncplane) a freshness target instead; a body with neither clears it",
    (actor, ref, _p, body) =>
      updateConnectorSchedule(runtime, actor, {
        ...ref,
        cron: (body as UpdateConnectorScheduleRequest).cron ?? null,
        freshness: (body as UpdateConnectorScheduleRequest).freshness ?? null,
      }),
  );

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
      properties: {
        count: {
          type: "integer",
          minimum: 1,
          maximum: MAX_PREVIEW,
          description: "How many next fire times to list (default 5).",
        },
      },
      additionalProperties: false,
    },
    response: { $ref: "syncplane.v1.ConnectorScheduleView#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      const count = (request.query as { count?: number }).count ?? 5;
      if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW) {
        throw invalidArgument(`count must be a whole number from 1 to ${MAX_PREVIEW}`);
      }
      const { connector, schedule, holds } = await loadConnectorAggregate(
        runtime.store,
        app_id,
        connector_id,
      );
      if (!schedule) return { nextFireTimes: [], paused: hasHold(holds, "PAUSED") || undefined };
      if (schedule.maxAgeMs) {
        const plan = await freshnessPlanOf(
          runtime.store,
          connector,
          schedule.maxAgeMs,
          runtime.clock.now(),
        );
        // The stored next fire wins over the plan's first start when it is earlier (a recheck
        // after a sync that was not applied).
        const first = Math.min(plan.nextStartAt, schedule.nextFireAt ?? plan.nextStartAt);
        return {
          freshness: {
            maxAge: formatDuration(schedule.maxAgeMs),
            expectedSyncDuration: formatDuration(plan.expectedMs),
            periodBetweenSyncs: formatDuration(plan.periodMs),
            atRisk: plan.atRisk || undefined,
          },
          start: timestamp(schedule.startAt),
          nextFireTimes: previewFreshness({ ...plan, nextStartAt: first }, count).map(
            (fire) => timestamp(fire) as string,
          ),
          paused: hasHold(holds, "PAUSED") || undefined,
        };
      }
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
