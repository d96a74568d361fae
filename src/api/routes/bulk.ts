// Bulk operations over HTTP: POST /api/v1/bulk/connectors/{pause|resume|force_sync}.

import type { FastifyInstance } from "fastify";
import { bulkConnectors } from "../../commands/bulk.js";
import type { BulkAction } from "../../domain/bulk.js";
import type { BulkRequest } from "../contracts/bulk.js";
import { actorOf, addRoute, type ApiContext } from "../http.js";

const TAGS = ["Bulk"];

const ACTIONS: readonly [BulkAction, string, string][] = [
  ["pause", "Pause", "Pause every connector the selector chooses (optionally until a time)"],
  ["resume", "Resume", "Resume every paused connector the selector chooses"],
  ["force_sync", "ForceSync", "Queue a sync for every connector the selector chooses"],
];

export function bulkRoutes(app: FastifyInstance, ctx: ApiContext): void {
  for (const [action, name, summary] of ACTIONS) {
    addRoute(app, {
      method: "POST",
      url: `/api/v1/bulk/connectors/${action}`,
      operationId: `syncplane.v1.BulkService.${name}`,
      summary,
      tags: TAGS,
      permission: "connectors.control",
      body: {
        $ref:
          action === "pause"
            ? "syncplane.v1.BulkPauseRequest#"
            : "syncplane.v1.BulkConnectorsRequest#",
      },
      response: { $ref: "syncplane.v1.BulkConnectorsResponse#" },
      handler: async (request) => {
        const body = (request.body ?? {}) as BulkRequest;
        const results = await bulkConnectors(ctx.runtime, actorOf(request), {
          action,
          selector: body.selector,
          dryRun: body.dryRun === true,
          ...(typeof body.note === "string" && { note: body.note }),
          ...(typeof body.until === "string" && { until: body.until }),
        });
        return { results, ...(body.dryRun === true && { dryRun: true }) };
      },
    });
  }
}
