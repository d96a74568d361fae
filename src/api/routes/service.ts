// C1's RotateCredential: the client credential a `baton-service` connector's process dials in
// with (src/service/baton-service.ts). Issuing one revokes the connector's earlier ones.

import type { FastifyInstance } from "fastify";
import { rotateConnectorCredential } from "../../commands/connector-credentials.js";
import type { RotateCredentialRequest } from "../contracts/connectors.js";
import { actorOf, addRoute, type ApiContext } from "../http.js";
import { timestamp } from "../wire.js";

export function serviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  addRoute(app, {
    method: "POST",
    url: "/api/v1/apps/connectors/credentials",
    operationId: "c1.api.app.v1.ConnectorService.RotateCredential",
    summary:
      "Issue a new client credential for a baton-service connector (its secret is shown once); earlier ones are revoked",
    tags: ["Connector"],
    permission: "credentials.manage",
    errors: [404],
    body: { $ref: "c1.api.app.v1.ConnectorServiceRotateCredentialRequest#" },
    response: { $ref: "c1.api.app.v1.ConnectorServiceRotateCredentialResponse#" },
    handler: async (request) => {
      const body = request.body as RotateCredentialRequest;
      const { credential, clientSecret } = await rotateConnectorCredential(
        ctx.runtime,
        actorOf(request),
        { appId: body.appId, connectorId: body.connectorId, publicHost: ctx.publicHost },
      );
      return {
        credential: {
          id: credential.id,
          appId: body.appId,
          connectorId: body.connectorId,
          displayName: credential.name,
          clientId: credential.clientId,
          clientSecret,
          createdAt: timestamp(credential.createdAt),
        },
      };
    },
  });
}
