// POST /auth/v1/token (OAuth2 client credentials, form body) and GET /api/v1/auth/introspect.

import type { FastifyInstance, FastifyRequest } from "fastify";
import { OAuthError } from "../../auth/tokens.js";
import { permissionsOf } from "../../domain/roles.js";
import { addRoute, type ApiContext } from "../http.js";

export function authRoutes(app: FastifyInstance, ctx: ApiContext): void {
  addRoute(app, {
    method: "POST",
    url: "/auth/v1/token",
    operationId: "syncplane.v1.Auth.Token",
    summary: "Exchange client credentials for an access token (OAuth2 client_credentials)",
    tags: ["Auth"],
    consumes: ["application/x-www-form-urlencoded"],
    body: { $ref: "syncplane.v1.TokenRequest#" },
    response: { $ref: "syncplane.v1.TokenResponse#" },
    errors: [401],
    errorSchema: "syncplane.v1.OAuthError",
    // Credentials in an HTTP Basic header count as the form's client_id and client_secret.
    preValidation: async (request) => {
      const basic = basicCredentials(request);
      if (!basic || typeof request.body !== "object" || request.body === null) return;
      const form = request.body as Record<string, string | undefined>;
      form.client_id ??= basic.clientId;
      form.client_secret ??= basic.clientSecret;
    },
    handler: async (request, reply) => {
      const form = request.body as Record<string, string | undefined>;
      const token = await ctx.tokens.exchange(form);
      void reply.header("cache-control", "no-store").header("pragma", "no-cache");
      return token;
    },
  });

  addRoute(app, {
    method: "GET",
    url: "/api/v1/auth/introspect",
    operationId: "c1.api.auth.v1.Auth.Introspect",
    summary: "Who the caller is: credential, role and permissions",
    tags: ["Auth"],
    permission: "authenticated",
    response: { $ref: "c1.api.auth.v1.IntrospectResponse#" },
    handler: async (request) => {
      const principal = request.principal;
      if (!principal) return {};
      return {
        principleId: principal.credentialId,
        userId: principal.credentialId,
        tenantId: ctx.publicHost,
        roles: [principal.role],
        permissions: [...permissionsOf(principal.role)],
        clientId: principal.clientId,
        connectorId: principal.connectorId ?? undefined,
      };
    },
  });
}

/**
 * RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret, for OAuth2 libraries that use
 * it. Client ids (host:port) and secrets (secret-token:…) contain ":" themselves; when a client
 * did not encode them, the separator is the ":" before "secret-token:".
 */
function basicCredentials(
  request: FastifyRequest,
): { clientId: string; clientSecret: string } | undefined {
  const header = request.headers.authorization;
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const secretAt = decoded.indexOf(":secret-token:");
  const colon = secretAt >= 0 ? secretAt : decoded.indexOf(":");
  if (colon < 0) throw new OAuthError("invalid_request", "malformed HTTP Basic credentials");
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " ")),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " ")),
    };
  } catch {
    throw new OAuthError("invalid_request", "malformed HTTP Basic credentials");
  }
}
