import { Type } from "typebox";
import { Text } from "./common.js";

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * The token request (form-encoded). Credentials are a client id and secret (in the form, or in an
 * HTTP Basic header, which the server reads into the same two fields), or a signed client
 * assertion. Other form parameters are ignored, as RFC 6749 §3.2 requires.
 */
export const TokenRequest = Type.Object(
  {
    grant_type: Type.Literal("client_credentials"),
    client_id: Type.Optional(Text("shortText", { minLength: 1 })),
    client_secret: Type.Optional(Text("shortText", { minLength: 1 })),
    client_assertion_type: Type.Optional(Type.Literal(JWT_BEARER)),
    client_assertion: Type.Optional(Text("longText", { minLength: 1 })),
    scope: Type.Optional(Text("shortText")),
  },
  {
    $id: "syncplane.v1.TokenRequest",
    title: "Token Request",
    // grant_type is checked first (allOf keeps the order), then the credentials.
    allOf: [
      {
        required: ["grant_type"],
        properties: { grant_type: { const: "client_credentials", "x-explain": "grantType" } },
      },
      {
        anyOf: [
          { required: ["client_id", "client_secret"] },
          { required: ["client_assertion_type", "client_assertion"] },
        ],
        "x-requirement":
          "send client_id and client_secret, or client_assertion with client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      },
    ],
  },
);

/** The token endpoint's errors: grpc-gateway's shape and RFC 6749's, in one body. */
export const OAuthErrorBody = Type.Object(
  {
    code: Type.Integer({ description: "gRPC status code" }),
    message: Type.String(),
    details: Type.Array(Type.Object({}, { additionalProperties: true })),
    error: Type.String({
      description:
        "invalid_request, invalid_client or unsupported_grant_type (RFC 6749 §5.2); server_error or temporarily_unavailable when the server failed",
    }),
    error_description: Type.String(),
  },
  { $id: "syncplane.v1.OAuthError", title: "OAuth Error" },
);

export const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.String(),
    expires_in: Type.Integer(),
  },
  { $id: "syncplane.v1.TokenResponse", title: "Token Response" },
);
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export const IntrospectResponse = Type.Object(
  {
    principleId: Type.Optional(Type.String()),
    userId: Type.Optional(Type.String()),
    tenantId: Type.Optional(Type.String()),
    roles: Type.Optional(Type.Array(Type.String())),
    permissions: Type.Optional(Type.Array(Type.String())),
    features: Type.Optional(Type.Array(Type.String())),
    // syncplane extensions
    clientId: Type.Optional(Type.String()),
    connectorId: Type.Optional(Type.String()),
  },
  { $id: "c1.api.auth.v1.IntrospectResponse", title: "Introspect Response" },
);
export interface IntrospectResponse {
  principleId?: string;
  userId?: string;
  tenantId?: string;
  roles?: string[];
  permissions?: string[];
  features?: string[];
  clientId?: string;
  connectorId?: string;
}
