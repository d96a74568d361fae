// Shared pieces of the wire contract. Schemas are written once here and used for request
// validation, response serialisation, the OpenAPI document and the TypeScript client's types.
// Field names follow C1's JSON (protojson): camelCase, RFC 3339 timestamps, enums as strings.

import { Type, type TSchema } from "typebox";

export const Timestamp = Type.String({ format: "date-time" });

/** grpc-gateway's error body. */
export const ErrorBody = Type.Object(
  {
    code: Type.Integer({ description: "gRPC status code" }),
    message: Type.String(),
    details: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { $id: "google.rpc.Status" },
);

export const Empty = (id: string, title: string) =>
  Type.Object({}, { $id: id, title, additionalProperties: false });

export const PageQuery = Type.Object(
  {
    page_size: Type.Optional(Type.String({ pattern: "^[0-9]*$" })),
    page_token: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ref = (id: string) => Type.Ref(id);
