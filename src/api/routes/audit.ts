import type { FastifyInstance } from "fastify";
import { LIMITS } from "../../domain/limits.js";
import { parsePageRequest } from "../../domain/pagination.js";
import { PageSize, PageToken } from "../contracts/common.js";
import { addRoute, type ApiContext } from "../http.js";
import { auditJson, pageJson } from "../wire.js";

export function auditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  addRoute(app, {
    method: "GET",
    url: "/api/v1/audit_events",
    operationId: "syncplane.v1.AuditService.List",
    summary: "List audit events, newest first (filter by object_type and object_id)",
    tags: ["Audit"],
    permission: "audit.read",
    querystring: {
      type: "object",
      properties: {
        page_size: PageSize,
        page_token: PageToken,
        object_type: {
          type: "string",
          enum: ["app", "connector", "sync", "credential", "provisioning_task", "webhook"],
        },
        object_id: { type: "string", maxLength: LIMITS.id },
      },
      additionalProperties: false,
    },
    response: { $ref: "syncplane.v1.ListAuditEventsResponse#" },
    handler: async (request) => {
      const query = request.query as Record<string, string | undefined>;
      const page = await ctx.runtime.store.listAuditEvents({
        ...parsePageRequest(query.page_size, query.page_token),
        objectType: query.object_type,
        objectId: query.object_id || undefined,
      });
      return pageJson(page, auditJson);
    },
  });
}
