// The HTTP edge: one Fastify instance serving the C1 API paths, the token endpoint, health and
// the OpenAPI document. Authentication and role checks happen here, before bodies are parsed;
// all errors leave through toErrorResponse (errors.ts).

import type { Socket } from "node:net";
import swagger from "@fastify/swagger";
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import secureJson from "secure-json-parse";
import { AppError, permissionDenied, unauthenticated } from "../domain/errors.js";
import { roleAllows } from "../domain/roles.js";
import { newId } from "../runtime.js";
import { NAMED_SCHEMAS } from "./contracts/index.js";
import { errorBody, toErrorResponse } from "./errors.js";
import type { ApiContext } from "./http.js";
import { appRoutes } from "./routes/apps.js";
import { auditRoutes } from "./routes/audit.js";
import { authRoutes } from "./routes/auth.js";
import { connectorRoutes } from "./routes/connectors.js";
import { healthRoutes } from "./routes/health.js";
import { syncControlRoutes } from "./routes/sync-controls.js";
import { syncRoutes } from "./routes/syncs.js";
import { artifactRoutes } from "./routes/artifacts.js";
import { inventoryRoutes } from "./routes/inventory.js";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ApiOptions extends ApiContext {
  readonly logger: Logger;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  readonly bodyLimit?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TOKEN_PATH = "/auth/v1/token";

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const tls = options.tls;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the http2 and http1 option types differ
  const fastifyOptions: any = {
    loggerInstance: options.logger,
    // The onResponse hook below writes its own line per request (see there).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    requestIdHeader: false,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : newId();
    },
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
        strict: false,
      },
    },
    // While closing, requests on kept-alive connections get UNAVAILABLE from the onRequest hook.
    return503OnClosing: false,
    // Requests too malformed for the HTTP parser still get a grpc-gateway body.
    clientErrorHandler: (_error: Error, socket: Socket) => {
      if (!socket.writable) return;
      const body = JSON.stringify(
        errorBody("INVALID_ARGUMENT", "the HTTP request could not be parsed"),
      );
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    // HTTP/2 with HTTP/1.1 fallback on the TLS port: the token endpoint and (later) gRPC
    // BatonService share it, as baton connectors require.
    ...(tls ? { http2: true, https: { allowHTTP1: true, key: tls.key, cert: tls.cert } } : {}),
  };
  const app = Fastify(fastifyOptions) as unknown as FastifyInstance;

  app.decorateRequest("principal", null);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string", bodyLimit },
    (_request, body, done) => {
      const text = String(body);
      if (text.trim() === "") return done(null, undefined);
      try {
        const value: unknown = secureJson.parse(text, undefined, {
          protoAction: "error",
          constructorAction: "error",
        });
        done(null, value === null ? undefined : value);
      } catch (error) {
        const why =
          error instanceof SyntaxError
            ? `: ${error.message}`
            : " (it must not set __proto__ or constructor)";
        done(
          Object.assign(new Error(`request body is not valid JSON${why}`), {
            code: "SYNCPLANE_BAD_JSON",
          }),
          undefined,
        );
      }
    },
  );
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit },
    (request, body, done) => {
      // Forms are for the token endpoint only; everything else speaks JSON.
      if (!request.url.startsWith(TOKEN_PATH)) {
        done(
          Object.assign(new Error("form bodies are accepted by the token endpoint only"), {
            code: "FST_ERR_CTP_INVALID_MEDIA_TYPE",
          }),
          undefined,
        );
        return;
      }
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );

  for (const schema of NAMED_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "syncplane API",
        description:
          "Self-hosted connector sync control plane, wire-compatible with the C1 ConnectorService sync controls.",
        version: "0.1.0",
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer" },
          oauth: {
            type: "oauth2",
            description: "OAuth2 client credentials; send them in the form body.",
            flows: { clientCredentials: { tokenUrl: "/auth/v1/token", scopes: {} } },
          },
        },
      },
      security: [{ bearerAuth: [] }, { oauth: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });

  const routePatterns: { method: string; pattern: RegExp }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(`^${route.url.replace(/:[A-Za-z_]+/g, "[^/]+")}/?$`);
    for (const method of methods) routePatterns.push({ method: String(method), pattern });
  });

  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });

  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", String(request.id));
    void reply.header("x-content-type-options", "nosniff");
    if (closing) throw new AppError("UNAVAILABLE", "the server is shutting down; retry shortly");
    const permission = request.routeOptions.config.permission;
    if (!permission) return;
    request.principal = await authenticate(request, options);
    if (permission !== "authenticated" && !roleAllows(request.principal.role, permission)) {
      throw permissionDenied(
        `role "${request.principal.role}" may not do this (needs permission ${permission})`,
      );
    }
  });

  // Every route accepts an absent body as an empty object, as the C1 operations do.
  app.addHook("preValidation", async (request) => {
    if (request.body === undefined && request.method !== "GET" && request.method !== "HEAD") {
      request.body = {};
    }
  });

  // Every mutation is already in the audit log (in the database, with actor and request id), so
  // successful requests are logged at debug; client errors at info, server errors at error.
  app.addHook("onResponse", async (request, reply) => {
    const level = reply.statusCode >= 500 ? "error" : reply.statusCode >= 400 ? "info" : "debug";
    if (!options.logger.isLevelEnabled(level)) return;
    request.log[level](
      {
        requestId: request.id,
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        client: request.principal?.clientId,
      },
      "request",
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error, String(request.id), bodyLimit, request.url);
    if (response.unexpected)
      request.log.error({ err: error, requestId: request.id }, "unexpected error");
    if (response.status === 401) void reply.header("www-authenticate", 'Bearer realm="syncplane"');
    void reply.code(response.status).type("application/json").send(JSON.stringify(response.body));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const allowed = [
      ...new Set(routePatterns.filter((r) => r.pattern.test(path)).map((r) => r.method)),
    ];
    if (allowed.length > 0) {
      void reply
        .code(405)
        .header("allow", allowed.join(", "))
        .type("application/json")
        .send(
          JSON.stringify(
            errorBody(
              "UNIMPLEMENTED",
              `method ${request.method} is not allowed here; use ${allowed.join(", ")}`,
            ),
          ),
        );
      return;
    }
    void reply
      .code(404)
      .type("application/json")
      .send(JSON.stringify(errorBody("NOT_FOUND", `no such route: ${request.method} ${path}`)));
  });

  healthRoutes(app, options);
  authRoutes(app, options);
  appRoutes(app, options);
  connectorRoutes(app, options);
  syncControlRoutes(app, options);
  syncRoutes(app, options);
  inventoryRoutes(app, options);
  artifactRoutes(app, options);
  auditRoutes(app, options);

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  return app;
}

async function authenticate(request: FastifyRequest, context: ApiContext) {
  const header = request.headers.authorization;
  if (!header) {
    throw unauthenticated(
      "missing Authorization header; get a token from POST /auth/v1/token and send Authorization: Bearer <token>",
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated("Authorization header must be: Bearer <access token>");
  const principal = await context.tokens.authenticate(match[1] as string);
  if (!principal) {
    throw unauthenticated(
      "access token is invalid, expired or revoked; get a new one from POST /auth/v1/token",
    );
  }
  return principal;
}
