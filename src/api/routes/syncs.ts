// Sync history: a connector's sync lifecycles, newest first, and one lifecycle by id.

import type { FastifyInstance } from "fastify";
import { requireConnector, requireSync } from "../../commands/lookups.js";
import { recentSyncDurations } from "../../commands/freshness.js";
import { syncDiff } from "../../commands/sync-diff.js";
import { DIFF_CHANGES, DIFF_KINDS, type DiffItem, type DiffTotals } from "../../domain/diff.js";
import { invalidArgument } from "../../domain/errors.js";
import { checkLength, LIMITS } from "../../domain/limits.js";
import type { SyncRecord } from "../../domain/model.js";
import { parsePageRequest } from "../../domain/pagination.js";
import {
  isSyncState,
  isSyncTrigger,
  SYNC_STATES,
  SYNC_TRIGGERS,
  type SyncState,
  type SyncTrigger,
} from "../../domain/syncs.js";
import { parseRfc3339, RFC3339_PATTERN } from "../../domain/time.js";
import { PageSize, PageToken } from "../contracts/common.js";
import { addRoute, pathParams, type ApiContext } from "../http.js";
import { syncJson, pageJson } from "../wire.js";

const TAGS = ["Sync"];
const BASE = "/api/v1/apps/:app_id/connectors/:connector_id/syncs";

const oneOrMore = (names: readonly string[]) => `^(${names.join("|")})(,(${names.join("|")}))*$`;
const Time = (description: string) =>
  ({ type: "string", maxLength: 64, pattern: RFC3339_PATTERN, description }) as const;

const ListQuery = {
  type: "object",
  properties: {
    state: {
      type: "string",
      maxLength: 300,
      pattern: oneOrMore(SYNC_STATES),
      description: `Only syncs in these states: one or more of ${SYNC_STATES.join(", ")}, separated by commas.`,
    },
    trigger: {
      type: "string",
      maxLength: 200,
      pattern: oneOrMore(SYNC_TRIGGERS),
      description: `Only syncs with these triggers: one or more of ${SYNC_TRIGGERS.join(", ")}, separated by commas.`,
    },
    queued_after: Time("Only syncs queued at or after this RFC 3339 time."),
    queued_before: Time("Only syncs queued before this RFC 3339 time."),
    page_size: PageSize,
    page_token: PageToken,
  },
  additionalProperties: false,
};

/** A time filter: absent, or an RFC 3339 time (anything else refused, naming the parameter). */
function timeParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const at = parseRfc3339(value);
  if (at === null) {
    throw invalidArgument(
      `${name}: ${JSON.stringify(value.slice(0, 64))} is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)`,
    );
  }
  return at;
}

export function syncRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx.runtime;
  /** What a running sync's progress estimate needs (one read, only when one runs). */
  const runningContext = async (syncs: readonly SyncRecord[]) => {
    const running = syncs.find((sync) => sync.state === "RUNNING");
    if (!running) return undefined;
    return {
      recentDurationsMs: await recentSyncDurations(store, running.connectorId),
      now: ctx.runtime.clock.now(),
    };
  };

  addRoute(app, {
    method: "GET",
    url: BASE,
    operationId: "syncplane.v1.SyncService.List",
    summary:
      "List a connector's sync lifecycles, newest first; filter by state, trigger and queue time",
    tags: TAGS,
    permission: "syncs.read",
    params: pathParams("app_id", "connector_id"),
    querystring: ListQuery,
    response: { $ref: "syncplane.v1.ListSyncLifecyclesResponse#" },
    handler: async (request) => {
      const { app_id, connector_id } = request.params as { app_id: string; connector_id: string };
      const query = request.query as {
        state?: string;
        trigger?: string;
        queued_after?: string;
        queued_before?: string;
        page_size?: string;
        page_token?: string;
      };
      const pageRequest = parsePageRequest(query.page_size, query.page_token);
      const queuedFrom = timeParam("queued_after", query.queued_after);
      const queuedBefore = timeParam("queued_before", query.queued_before);
      const states: SyncState[] = (query.state ?? "").split(",").filter(isSyncState);
      const triggers: SyncTrigger[] = (query.trigger ?? "").split(",").filter(isSyncTrigger);
      await requireConnector(store, app_id, connector_id);
      const page = await store.listSyncs(connector_id, {
        ...pageRequest,
        states,
        triggers,
        ...(queuedFrom !== undefined && { queuedFrom }),
        ...(queuedBefore !== undefined && { queuedBefore }),
      });
      const running = await runningContext(page.items);
      return pageJson(page, (sync) => syncJson(sync, undefined, running));
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
      const [events, running] = await Promise.all([
        store.listSyncEvents(sync.id),
        runningContext([sync]),
      ]);
      return { syncLifecycle: syncJson(sync, events, running) };
    },
  });

  addRoute(app, {
    method: "GET",
    url: `${BASE}/:sync_id/diff`,
    operationId: "syncplane.v1.SyncService.Diff",
    summary:
      "What a finished sync removed and added compared with the applied sync (the applied sync: with the one it replaced), paged",
    tags: TAGS,
    permission: "syncs.read",
    params: pathParams("app_id", "connector_id", "sync_id"),
    errors: [409],
    querystring: DiffQuery,
    response: { $ref: "syncplane.v1.GetSyncDiffResponse#" },
    handler: async (request) => {
      const params = request.params as {
        app_id: string;
        connector_id: string;
        sync_id: string;
      };
      const q = request.query as Record<string, string | undefined>;
      if (q.resource_type_id) checkLength("resource_type_id", q.resource_type_id, "externalId");
      const diff = await syncDiff(ctx.runtime, params.app_id, params.connector_id, params.sync_id, {
        kind: q.kind,
        change: q.change,
        resourceTypeId: q.resource_type_id,
        pageSize: q.page_size,
        pageToken: q.page_token,
      });
      return {
        syncId: diff.syncId,
        baseSyncId: diff.baseSyncId ?? undefined,
        totals: diff.totals ? totalsJson(diff.totals) : undefined,
        list: diff.list.map(diffItemJson),
        nextPageToken: diff.nextPageToken ?? undefined,
      };
    },
  });
}

const DiffQuery = {
  type: "object",
  properties: {
    kind: {
      type: "string",
      pattern: `^(${DIFF_KINDS.join("|")})?$`,
      description: `Only one kind: ${DIFF_KINDS.join(", ")} (default: all).`,
    },
    change: {
      type: "string",
      pattern: `^(${DIFF_CHANGES.join("|")})?$`,
      description: `Only one change: ${DIFF_CHANGES.join(", ")} (default: both).`,
    },
    resource_type_id: {
      type: "string",
      maxLength: LIMITS.externalId,
      description: "Only rows of this resource type (a grant's is its entitlement's).",
    },
    page_size: PageSize,
    page_token: PageToken,
  },
  additionalProperties: false,
};

/** protojson leaves out the per-type list when it is empty. */
const totalsJson = (totals: DiffTotals) => ({
  ...totals,
  byResourceType: totals.byResourceType.length > 0 ? totals.byResourceType : undefined,
});

function diffItemJson(item: DiffItem) {
  const head = { change: item.change, kind: item.kind, resourceTypeId: item.resourceTypeId };
  switch (item.kind) {
    case "resources":
      return {
        ...head,
        resourceId: item.resource.resourceId,
        displayName: item.resource.displayName,
        parent: item.resource.parent ?? undefined,
      };
    case "entitlements":
      return {
        ...head,
        id: item.entitlement.id,
        resourceId: item.entitlement.resourceId,
        slug: item.entitlement.slug,
        displayName: item.entitlement.displayName,
      };
    case "grants":
      return {
        ...head,
        id: item.grant.id,
        entitlementId: item.grant.entitlementId,
        principal: item.grant.principal,
      };
  }
}
