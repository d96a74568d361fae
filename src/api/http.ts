// Helpers shared by the route files: the principal on a request, the actor of a command, and
// the route definition shape (method, path, C1 operation id, permission, schemas, handler).

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../auth/tokens.js";
import type { Actor, Runtime } from "../commands/context.js";
import { unauthenticated } from "../domain/errors.js";
import type { Permission } from "../domain/roles.js";
import type { TokenService } from "../auth/tokens.js";
import type { ArtifactStore } from "../engine/artifacts.js";

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
    readonly artifacts: ArtifactStore;
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
  readonly querystring?: object;
  readonly body?: object;
  readonly consumes?: readonly string[];
  readonly response: object;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly handler: Handler<any, any, any>;
}

export function addRoute(app: FastifyInstance, spec: RouteSpec): void {
  const errorRef = { $ref: "google.rpc.Status#" };
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
      ...(spec.querystring ? { querystring: spec.querystring } : {}),
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.consumes ? { consumes: [...spec.consumes] } : {}),
      response: { 200: spec.response, "4XX": errorRef, "5XX": errorRef },
    },
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
    names.map((name) => [name, { type: "string", minLength: 1, maxLength: 200 }]),
  ),
  required: names,
});
