// The five seed operations of C1's ConnectorService (src: shared/seeds), plus a read of the
// schedule with its next fire times (a syncplane extension used by `connectors schedule show`).

import type { FastifyInstance } from "fastify";
import { confirmSyncValid } from "../../commands/confirm-sync-valid.js";
import { forceSync } from "../../commands/force-sync.js";
import { loadConnectorAggregate, requireConnector } from "../../commands/lookups.js";
import { pauseSync } from "../../commands/pause-sync.js";
import { resumeSync } from "../../commands/resume-sync.js";
import { updateConnectorSchedule } from "../../commands/update-schedule.js";
import { hasHold } from "../../domain/holds.js";
import {
  CRON_SPEC_PATTERN,
  knownTimezones,
  nextFires,
  parseSchedule,
} from "../../domain/schedule.js";
import {
  formatDuration,
  MAX_AGE_PATTERN,
  parseFreshness,
  previewFreshness,
} from "../../domain/freshness.js";
import { LIMITS } from "../../domain/limits.js";
import type { ConnectorRecord } from "../../domain/model.js";
import { freshnessPlanOf } from "../../commands/freshness.js";
import { invalidArgument } from "../../domain/errors.js";
import type { PauseSyncRequest, UpdateConnectorScheduleRequest } from "../contracts/connectors.js";
import type { Actor, Runtime } from "../../commands/context.js";
import { actorOf, addRoute, pathParams, type ApiContext } from "../http.js";
import { timestamp } from "../wire.js";

const TAGS = ["Connector"];
const MAX_PREVIEW = 100;

const countParam = (fallback: number) => ({
  type: "integer",
  minimum: 1,
  maximum: MAX_PREVIEW,
  description: `How many next fire times to list (default ${fallback}).`,
});
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
        count: countParam(5),
      },
      additionalProperties: false,
    },
    response: { $ref: "syncplane.v1.ConnectorScheduleView#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      // (countParam's schema has checked it: a whole number from 1 to MAX_PREVIEW.)
      const count = (request.query as { count?: number }).count ?? 5;
      const { connector, schedule, holds } = await loadConnectorAggregate(
        runtime.store,
        app_id,
        connector_id,
      );
      if (!schedule) return { nextFireTimes: [], paused: hasHold(holds, "PAUSED") || undefined };
      return {
        ...(await scheduleView(runtime, connector, schedule, count)),
        start: timestamp(schedule.startAt),
        paused: hasHold(holds, "PAUSED") || undefined,
      };
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/schedule/preview`,
    operationId: "syncplane.v1.ConnectorService.PreviewConnectorSchedule",
    summary:
      "The next fire times a schedule would have, without setting it: a cron (cron_spec, timezone) or a freshness target (max_age)",
    tags: TAGS,
    permission: "connectors.read",
    params: pathParams("app_id", "connector_id"),
    querystring: {
      type: "object",
      properties: {
        cron_spec: {
          type: "string",
          maxLength: LIMITS.cronSpec,
          pattern: CRON_SPEC_PATTERN,
          "x-explain": "cronSpec",
          description: "A cron to preview.",
        },
        timezone: {
          type: "string",
          maxLength: LIMITS.timezone,
          enum: knownTimezones(),
          "x-explain": "timezone",
          description: "Its IANA zone (default UTC).",
        },
        max_age: {
          type: "string",
          minLength: 2,
          maxLength: 40,
          pattern: MAX_AGE_PATTERN,
          description: "A freshness target to preview instead (e.g. 2h).",
        },
        count: countParam(10),
      },
      additionalProperties: false,
    },
    response: { $ref: "syncplane.v1.ConnectorScheduleView#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as Ref;
      const q = request.query as {
        cron_spec?: string;
        timezone?: string;
        max_age?: string;
        count?: number;
      };
      const count = q.count ?? 10;
      const connector = await requireConnector(runtime.store, app_id, connector_id);
      if (q.max_age && q.cron_spec) {
        throw invalidArgument("give either cron_spec or max_age, not both");
      }
      if (q.max_age) {
        const { maxAgeMs } = parseFreshness({ maxAge: q.max_age });
        return scheduleView(runtime, connector, { cronSpec: "", timezone: "UTC", maxAgeMs }, count);
      }
      if (!q.cron_spec)
        throw invalidArgument("give cron_spec (with timezone) or max_age to preview");
      const cron = parseSchedule({ cronSpec: q.cron_spec, timezone: q.timezone ?? "" });
      return scheduleView(runtime, connector, cron, count);
    },
  });
}

/** A schedule's cron or freshness plan and its next fire times (stored or previewed). */
async function scheduleView(
  runtime: Runtime,
  connector: ConnectorRecord,
  schedule: {
    cronSpec: string;
    timezone: string;
    maxAgeMs?: number | null;
    nextFireAt?: number | null;
  },
  count: number,
) {
  const now = runtime.clock.now();
  if (schedule.maxAgeMs) {
    const plan = await freshnessPlanOf(runtime.store, connector, schedule.maxAgeMs, now);
    // A stored next fire earlier than the plan's first start wins (a recheck after a sync that
    // was not applied).
    const first = Math.min(plan.nextStartAt, schedule.nextFireAt ?? plan.nextStartAt);
    return {
      freshness: {
        maxAge: formatDuration(schedule.maxAgeMs),
        expectedSyncDuration: formatDuration(plan.expectedMs),
        periodBetweenSyncs: formatDuration(plan.periodMs),
        atRisk: plan.atRisk || undefined,
      },
      nextFireTimes: previewFreshness({ ...plan, nextStartAt: first }, count).map(
        (fire) => timestamp(fire) as string,
      ),
    };
  }
  return {
    cron: { cronSpec: schedule.cronSpec, timezone: schedule.timezone },
    nextFireTimes: nextFires(schedule, now, count).map((fire) => timestamp(fire) as string),
  };
}
