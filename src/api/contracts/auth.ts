import { Type } from "typebox";

export const TokenRequest = Type.Object(
  {
    grant_type: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.String()),
    client_secret: Type.Optional(Type.String()),
    client_assertion_type: Type.Optional(Type.String()),
    client_assertion: Type.Optional(Type.String()),
    scope: Type.Optional(Type.String()),
  },
  { $id: "syncplane.v1.TokenRequest", title: "Token Request" },
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
