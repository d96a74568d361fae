// Helpers shared by the route files: the principal on a request, the actor of a command, and
// the route definition shape (method, path, C1 operation id, permission, schemas, handler).

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../auth/tokens.js";
import type { Actor, Runtime } from "../commands/context.js";
import { unauthenticated } from "../domain/errors.js";
import type { Permission } from "../domain/roles.js";
import type { TokenService } from "../auth/tokens.js";
import type { Artifacts } from "../artifacts/artifacts.js";
import { LIMITS } from "../domain/limits.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    permission?: Permission | "authenticated";
  }
}

export interface ApiContext {
  readonly runtime: Runtime;
  readonly tokens: TokenService;
  /** host[:port] of the public URL, for the introspection tenant id. */
  readonly publicHost: string;
  /** Sync files (c1z, logs) and the public URL that download links point at. */
  readonly files: {
    readonly artifacts: Artifacts;
    readonly publicUrl: string;
  };
}

export type Handler<
  B = unknown,
  P = Record<string, string>,
  Q = Record<string, string | undefined>,
> = (
  request: FastifyRequest<{ Body: B; Params: P; Querystring: Q }>,
  reply: FastifyReply,
) => Promise<unknown>;

export interface RouteSpec {
  readonly method: "GET" | "POST" | "DELETE";
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  /** Omitted for public routes (token endpoint, health, OpenAPI). */
  readonly permission?: Permission | "authenticated";
  readonly params?: object;
  /** Omitted: the route takes no query parameters (any is refused). */
  readonly querystring?: object;
  readonly body?: object;
  readonly consumes?: readonly string[];
  readonly response: object;
  /** The response's media type when it is not JSON (a download). */
  readonly produces?: string;
  /** Error statuses beyond those every route of its kind can answer (see errorStatuses). */
  readonly errors?: readonly number[];
  /** The error body's schema, when not grpc-gateway's google.rpc.Status. */
  readonly errorSchema?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly preValidation?: (request: FastifyRequest<any>) => Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly handler: Handler<any, any, any>;
}

const NO_QUERY = { type: "object", properties: {}, additionalProperties: false };

const STATUS_MEANING: Record<number, string> = {
  400: "INVALID_ARGUMENT (the request is malformed or a field is wrong) or FAILED_PRECONDITION (the object's state does not allow it)",
  401: "UNAUTHENTICATED: no valid access token",
  403: "PERMISSION_DENIED: the caller's role does not allow this",
  404: "NOT_FOUND: an object named in the path does not exist",
  409: "ABORTED: a page token's list changed; start again",
  500: "INTERNAL: a fault in the server, logged under the request id",
  503: "UNAVAILABLE: the server is shutting down or its store does not answer; retry",
  504: "DEADLINE_EXCEEDED: the request was not received in full in time",
};

/**
 * Every status a route can answer, as its OpenAPI document declares them: validation (400),
 * outages (500, 503) and slow requests (504) everywhere; authentication and roles on routes that
 * need a token; NOT_FOUND on routes that name objects in their path; and what the route adds.
 */
export function errorStatuses(spec: RouteSpec): number[] {
  const statuses = new Set([400, 500, 503, 504, ...(spec.errors ?? [])]);
  if (spec.permission) {
    statuses.add(401);
    statuses.add(403);
  }
  if (spec.params) statuses.add(404);
  return [...statuses].sort((a, b) => a - b);
}

export function addRoute(app: FastifyInstance, spec: RouteSpec): void {
  const errorRef = { $ref: `${spec.errorSchema ?? "google.rpc.Status"}#` };
  const response: Record<string, unknown> = {
    200: spec.produces
      ? { description: "OK", content: { [spec.produces]: { schema: spec.response } } }
      : spec.response,
  };
  for (const status of errorStatuses(spec)) {
    response[status] = {
      description: STATUS_MEANING[status] ?? "error",
      content: { "application/json": { schema: errorRef } },
    };
  }
  app.route({
    method: spec.method,
    url: spec.url,
    config: spec.permission ? { permission: spec.permission } : {},
    schema: {
      operationId: spec.operationId,
      summary: spec.summary,
      tags: [...spec.tags],
      ...(spec.permission ? {} : { security: [] }),
      ...(spec.params ? { params: spec.params } : {}),
      querystring: spec.querystring ?? NO_QUERY,
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.consumes ? { consumes: [...spec.consumes] } : {}),
      response,
    },
    ...(spec.preValidation ? { preValidation: spec.preValidation } : {}),
    handler: spec.handler,
  });
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.principal) throw unauthenticated("authentication required");
  return { name: request.principal.clientId, requestId: String(request.id) };
}

export const pathParams = (...names: string[]) => ({
  type: "object",
  properties: Object.fromEntries(
    names.map((name) => [name, { type: "string", minLength: 1, maxLength: LIMITS.id }]),
  ),
  required: names,
});
