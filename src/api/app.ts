// The HTTP edge: one Fastify instance serving the C1 API paths, the token endpoint, health and
// the OpenAPI document. Authentication and role checks happen here, before bodies are parsed;
// all errors leave through toErrorResponse (errors.ts).

import type { Metrics } from "../metrics/metrics.js";
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import type { Socket } from "node:net";
import swagger from "@fastify/swagger";
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Logger } from "pino";
import { AppError, permissionDenied, unauthenticated } from "../domain/errors.js";
import { clip } from "../domain/limits.js";
import { roleAllows } from "../domain/roles.js";
import { newId } from "../runtime.js";
import { JSON_REQUEST_SCHEMAS, NAMED_SCHEMAS } from "./contracts/index.js";
import {
  clientErrorResponse,
  errorBody,
  MethodNotAllowed,
  toErrorResponse,
  type ErrorResponse,
} from "./errors.js";
import { addRoute, type ApiContext } from "./http.js";
import { ProtoJson, acceptNull, forbiddenKey, type JsonSchema } from "./protojson.js";
import { RouteTable } from "./route-table.js";
import { appRoutes } from "./routes/apps.js";
import { auditRoutes } from "./routes/audit.js";
import { authRoutes } from "./routes/auth.js";
import { connectorRoutes } from "./routes/connectors.js";
import { healthRoutes } from "./routes/health.js";
import { syncControlRoutes } from "./routes/sync-controls.js";
import { syncRoutes } from "./routes/syncs.js";
import { artifactRoutes } from "./routes/artifacts.js";
import { inventoryRoutes } from "./routes/inventory.js";
import { provisioningRoutes } from "./routes/provisioning.js";
import { bulkRoutes } from "./routes/bulk.js";
import { consoleRoutes } from "./routes/console.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { serviceRoutes } from "./routes/service.js";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** A request (headers and body) must arrive in full within this time. */
export const REQUEST_TIMEOUT_MS = 60_000;
/**
 * Path segments longer than this are refused by the router itself; shorter ones reach the route,
 * whose schema names the parameter and its limit (ids are at most 64 characters).
 */
const MAX_PATH_SEGMENT = 2048;

interface OpenApiDocument {
  paths?: Record<
    string,
    Record<
      string,
      | {
          requestBody?: {
            required?: boolean;
            content?: Record<string, { schema?: { $ref?: unknown } }>;
          };
        }
      | undefined
    >
  >;
}

export interface ApiOptions extends ApiContext {
  readonly logger: Logger;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  /**
   * gRPC served on the same TLS port (baton's BatonService): requests whose path starts with
   * `prefix` go to `handler` instead of the HTTP API. Only with `tls` (gRPC needs HTTP/2).
   */
  readonly grpc?: {
    readonly prefix: string;
    readonly handler: (request: Http2ServerRequest, response: Http2ServerResponse) => void;
  };
  readonly bodyLimit?: number;
  /** GET /metrics (metrics/metrics.ts); `public`: without a token (--metrics-public). */
  readonly metrics?: { readonly registry: Metrics; readonly public: boolean };
  /** Web origins whose pages may call the API (--cors-origins); none: same-origin only. */
  readonly corsOrigins?: readonly string[];
}

const SESSION_CLOSE_GRACE_MS = 5_000;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TOKEN_PATH = "/auth/v1/token";
const CORS_METHODS = "GET, POST, PATCH, DELETE";
const CORS_HEADERS = "authorization, content-type, x-request-id";
const CORS_EXPOSED = "x-request-id, content-disposition, allow";

/** One TLS HTTP/2 server (HTTP/1.1 fallback) for the API and a gRPC service, split by path. */
function sharedPortServer(
  tls: NonNullable<ApiOptions["tls"]>,
  grpc: NonNullable<ApiOptions["grpc"]>,
) {
  return (handler: (request: Http2ServerRequest, response: Http2ServerResponse) => void) =>
    createSecureServer({ allowHTTP1: true, key: tls.key, cert: tls.cert }, (request, response) => {
      if (request.httpVersionMajor === 2 && request.url.startsWith(grpc.prefix)) {
        grpc.handler(request, response);
      } else {
        handler(request, response);
      }
    });
}

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
        // Unions told apart by a field (a connector's catalogId, a config's "@type") validate
        // the one branch that field names, so errors speak of that branch's fields.
        discriminator: true,
        verbose: true,
      },
    },
    // While closing, requests on kept-alive connections get UNAVAILABLE from the onRequest hook.
    return503OnClosing: false,
    // Requests too malformed for the HTTP parser, too large or too slow still get a
    // grpc-gateway body.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (!socket.writable) return;
      const { status, body } = clientErrorResponse(error.code);
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    },
    requestTimeout: REQUEST_TIMEOUT_MS,
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT },
    // Errors the router raises before a route is chosen (a malformed percent-encoding, an
    // over-long path segment) leave through the same error mapping as every other error.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      send(reply, toErrorResponse(error, String(request.id), bodyLimit, request.url));
    },
    // HTTP/2 with HTTP/1.1 fallback on the TLS port: the token endpoint and gRPC BatonService
    // share it, as baton connectors require (they derive both from one host).
    ...(tls ? { http2: true, https: { allowHTTP1: true, key: tls.key, cert: tls.cert } } : {}),
    ...(tls && options.grpc ? { serverFactory: sharedPortServer(tls, options.grpc) } : {}),
  };
  const app = Fastify(fastifyOptions) as unknown as FastifyInstance;

  app.decorateRequest("principal", null);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string", bodyLimit },
    (_request, body, done) => {
      const text = String(body);
      // An empty body (or JSON's own white space only: space, tab, CR, LF) reads as {}; any
      // other character, \f or a non-breaking space included, must be JSON.
      if (/^[ \t\r\n]*$/.test(text)) return done(null, undefined);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return done(badJson(`request body is not valid JSON: ${(error as Error).message}`));
      }
      // Keys that could reach an object's prototype if a body were ever merged into another
      // object are refused outright (the schemas declare it for free-form objects).
      const forbidden = forbiddenKey(value);
      if (forbidden !== null) {
        return done(
          badJson(
            `request body must not use the key "${forbidden}" (refused anywhere in a body: it could reach an object's prototype)`,
          ),
        );
      }
      done(null, value === null ? undefined : value);
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

  // JSON request bodies declare protojson's null ("not set") on every optional field; ProtoJson
  // reads every body and query string by the same schemas (see protojson.ts).
  const registered = new Map<string, JsonSchema>();
  const jsonRequests = new Set(JSON_REQUEST_SCHEMAS.map((schema) => schema.$id));
  for (const named of NAMED_SCHEMAS) {
    const schema = jsonRequests.has(named.$id)
      ? acceptNull(named as JsonSchema)
      : (named as JsonSchema);
    registered.set(named.$id, schema);
    app.addSchema(schema);
  }
  const protoJson = new ProtoJson((id) => registered.get(id));

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
    // A body that may be left out is not a required one (swagger marks every body required).
    transformObject: (documents) => {
      const document = (documents as { openapiObject: OpenApiDocument }).openapiObject;
      for (const operations of Object.values(document.paths ?? {})) {
        for (const operation of Object.values(operations)) {
          const body = operation?.requestBody;
          const ref = body?.content?.["application/json"]?.schema?.$ref;
          const id = typeof ref === "string" ? ref.replace(/^.*\//, "") : undefined;
          const type = id ? registered.get(id)?.type : undefined;
          if (body && Array.isArray(type) && type.includes("null")) body.required = false;
        }
      }
      return document;
    },
  });

  const routes = new RouteTable();
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.add(String(method), route.url);
  });

  // HTTP/2 clients (gRPC transports, browsers) keep sessions open; on close each is told to go
  // away (GOAWAY: streams in flight finish, no new ones), or the server would wait for them. A
  // session still open after SESSION_CLOSE_GRACE_MS (a stream its client never ended) is cut.
  const sessions = new Set<Http2Session>();
  if (tls) {
    app.server.on("session", (session: Http2Session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    });
  }
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
    for (const session of sessions) {
      session.close();
      setTimeout(() => session.destroy(), SESSION_CLOSE_GRACE_MS).unref();
    }
  });

  const cors = new Set(options.corsOrigins ?? []);
  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", String(request.id));
    void reply.header("x-content-type-options", "nosniff");
    if (cors.size > 0) {
      // CORS (--cors-origins): an allowed origin may read the answers; a preflight is answered
      // here, before the route and the token are looked at (a browser sends it without either).
      void reply.header("vary", "Origin");
      const origin = request.headers.origin;
      const allowed = typeof origin === "string" && cors.has(origin);
      if (allowed) {
        void reply.header("access-control-allow-origin", origin);
        void reply.header("access-control-expose-headers", CORS_EXPOSED);
      }
      if (request.method === "OPTIONS" && request.headers["access-control-request-method"]) {
        if (!allowed) {
          throw permissionDenied(
            `origin ${clip(String(origin ?? "(none)"))} may not call this API from a browser (serve --cors-origins)`,
          );
        }
        return reply
          .code(204)
          .header("access-control-allow-methods", CORS_METHODS)
          .header("access-control-allow-headers", CORS_HEADERS)
          .header("access-control-max-age", "600")
          .send();
      }
    }
    if (closing) throw new AppError("UNAVAILABLE", "the server is shutting down; retry shortly");
    // A path the document does not have, or one it has with another method: answered here,
    // before anything (a body, a Content-Type) is read.
    const path = request.url.split("?")[0] ?? "";
    const documented = routes.resolve(path);
    const routed = request.is404 ? null : request.routeOptions.url;
    if (documented === null) {
      if (routed === null) {
        throw new AppError("NOT_FOUND", `no such route: ${request.method} ${clip(path)}`);
      }
    } else if (routed !== documented.template) {
      void reply.header("allow", documented.methods.join(", "));
      throw new MethodNotAllowed(request.method, documented.methods);
    }
    const permission = request.routeOptions.config.permission;
    if (!permission) return;
    request.principal = await authenticate(request, options);
    if (permission !== "authenticated" && !roleAllows(request.principal.role, permission)) {
      throw permissionDenied(
        `role "${request.principal.role}" may not do this (needs permission ${permission})`,
      );
    }
  });

  // Every route accepts an absent body as an empty object, as the C1 operations do; bodies and
  // query strings are read the protojson way (proto field names, null, typed query values).
  app.addHook("preValidation", async (request) => {
    const schema = request.routeOptions.schema ?? {};
    request.query = protoJson.query(
      (request.query ?? {}) as Record<string, unknown>,
      schema.querystring as JsonSchema | undefined,
    );
    if (request.body === undefined && request.method !== "GET" && request.method !== "HEAD") {
      request.body = {};
    }
    if (schema.body && !isForm(request)) {
      request.body = protoJson.body(request.body, schema.body as JsonSchema);
    }
  });

  // One line per request that changed something (route, caller, the ids in its path, request
  // id; never a body, which may hold secrets), so an operator can follow mutations at the default
  // level. Reads log at debug, client errors at info, server errors at error.
  app.addHook("onResponse", async (request, reply) => {
    options.metrics?.registry.observeHttp(
      request.method,
      !request.is404 && reply.statusCode !== 405
        ? (request.routeOptions.url ?? "unmatched")
        : "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    // A change made by a principal (the public token endpoint changes nothing).
    const mutation =
      request.method !== "GET" && request.method !== "HEAD" && Boolean(request.principal);
    const level =
      reply.statusCode >= 500 ? "error" : reply.statusCode >= 400 || mutation ? "info" : "debug";
    if (!options.logger.isLevelEnabled(level)) return;
    const routed = !request.is404 && reply.statusCode !== 405;
    request.log[level](
      {
        requestId: request.id,
        method: request.method,
        route: routed ? request.routeOptions.url : undefined,
        operation: routed ? request.routeOptions.schema?.operationId : undefined,
        ids: routed ? idsOf(request.params) : undefined,
        url: routed ? undefined : clip(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        client: request.principal?.clientId,
      },
      reply.statusCode < 400 && mutation ? "mutation" : "request",
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error, String(request.id), bodyLimit, request.url);
    if (response.unexpected)
      request.log.error({ err: error, requestId: request.id }, "unexpected error");
    send(reply, response);
  });

  // Reached only if a request slips past the onRequest check above (it answers 404 and 405).
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    send(reply, {
      status: 404,
      body: errorBody("NOT_FOUND", `no such route: ${request.method} ${clip(path)}`),
      unexpected: false,
    });
  });

  healthRoutes(app, options);
  if (options.metrics) {
    const { registry, public: open } = options.metrics;
    addRoute(app, {
      method: "GET",
      url: "/metrics",
      operationId: "syncplane.v1.Metrics.Get",
      summary: "Prometheus metrics (text exposition format; docs/metrics.md)",
      tags: ["Metrics"],
      ...(open ? {} : { permission: "metrics.read" as const }),
      produces: "text/plain",
      response: { type: "string" },
      handler: async (_request, reply) =>
        reply.type(registry.contentType).send(await registry.text()),
    });
  }
  authRoutes(app, options);
  appRoutes(app, options);
  connectorRoutes(app, options);
  syncControlRoutes(app, options);
  syncRoutes(app, options);
  inventoryRoutes(app, options);
  provisioningRoutes(app, options);
  bulkRoutes(app, options);
  webhookRoutes(app, options);
  serviceRoutes(app, options);
  artifactRoutes(app, options);
  auditRoutes(app, options);

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  consoleRoutes(app);

  return app;
}

const badJson = (message: string) =>
  Object.assign(new Error(message), { code: "SYNCPLANE_BAD_JSON" });

function send(reply: FastifyReply, response: ErrorResponse): void {
  if (response.status === 401) void reply.header("www-authenticate", 'Bearer realm="syncplane"');
  void reply.code(response.status).type("application/json").send(JSON.stringify(response.body));
}

const isForm = (request: FastifyRequest): boolean =>
  String(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");

/** The ids named in a request's path, for the log line (path parameters are ids, never secrets). */
function idsOf(params: unknown): Record<string, string> | undefined {
  if (!params || typeof params !== "object") return undefined;
  const entries = Object.entries(params as Record<string, unknown>).map(
    ([key, value]) => [key, String(value).slice(0, 80)] as const,
  );
  return entries.length ? Object.fromEntries(entries) : undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Payload Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  504: "Gateway Timeout",
};

async function authenticate(request: FastifyRequest, context: ApiContext) {
  const header = request.headers.authorization;
  if (!header) {
    throw unauthenticated(
      "missing Authorization header; get a token from POST /auth/v1/token and send Authorization: Bearer <token>",
    );
  }
  const match = /^Bearer(?:\s+(\S*))?\s*$/i.exec(header);
  if (!match) throw unauthenticated("Authorization header must be: Bearer <access token>");
  if (!match[1]) {
    throw unauthenticated(
      "the Authorization header's bearer token is empty; send Authorization: Bearer <access token> (an SDK sends this when its token field is left empty)",
    );
  }
  const principal = await context.tokens.authenticate(match[1]);
  if (!principal) {
    throw unauthenticated(
      "access token is invalid, expired or revoked; get a new one from POST /auth/v1/token",
    );
  }
  return principal;
}
