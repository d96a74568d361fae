import type { FastifyInstance } from "fastify";
import { addRoute, type ApiContext } from "../http.js";

const Status = { type: "object", properties: { status: { type: "string" } }, required: ["status"] };

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  addRoute(app, {
    method: "GET",
    url: "/healthz",
    operationId: "syncplane.v1.Health.Live",
    summary: "Liveness: the process serves requests",
    tags: ["Health"],
    response: Status,
    handler: async () => ({ status: "ok" }),
  });

  addRoute(app, {
    method: "GET",
    url: "/readyz",
    operationId: "syncplane.v1.Health.Ready",
    summary: "Readiness: the store answers",
    tags: ["Health"],
    response: Status,
    handler: async () => {
      await ctx.runtime.store.listApps({ pageSize: 1, after: null });
      return { status: "ready" };
    },
  });
}
