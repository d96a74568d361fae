// Shared pieces of the wire contract. Schemas are written once here and used for request
// validation, response serialisation, the OpenAPI document and the TypeScript client's types.
// Field names follow C1's JSON (protojson): camelCase, RFC 3339 timestamps, enums as strings.
// Every string a client sends has a maxLength and every list a maxItems, from the domain's limits
// (src/domain/limits.ts), which the commands enforce as well.

import { Type, type TSchema } from "typebox";
import { LIMITS, type LimitName } from "../../domain/limits.js";
import { MAX_PAGE_SIZE } from "../../domain/pagination.js";

export const Timestamp = Type.String({ format: "date-time", maxLength: 64 });

/** A string a client may send, bounded by one of the domain's limits. */
export const Text = (limit: LimitName, options: Record<string, unknown> = {}) =>
  Type.String({ maxLength: LIMITS[limit], ...options });

/** A required string that must not be blank (at least one character other than white space). */
export const NonBlank = (limit: LimitName, options: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength: LIMITS[limit], pattern: "\\S", ...options });

/** A bounded list of bounded strings. */
export const TextList = (item: LimitName, count: LimitName = "listItems") =>
  Type.Array(Text(item), { maxItems: LIMITS[count] });

/** Keys a JSON body may not use anywhere (the body parser refuses them; see protojson.ts). */
const SAFE_KEY = { not: { enum: ["__proto__", "constructor"] } };

/** A free-form JSON object that syncplane stores and returns without interpreting it. */
export const FreeObject = () =>
  Type.Unsafe<Record<string, unknown>>({
    type: "object",
    additionalProperties: true,
    maxProperties: LIMITS.listItems,
    propertyNames: SAFE_KEY,
  });

/** A map of bounded strings to bounded strings (keys may carry more rules). */
export const TextMap = (
  key: { readonly limit: LimitName; readonly pattern?: string; readonly refused?: string[] },
  value: LimitName,
  count: LimitName,
  description?: string,
) =>
  Type.Unsafe<Record<string, string>>({
    type: "object",
    propertyNames: {
      type: "string",
      maxLength: LIMITS[key.limit],
      ...(key.pattern ? { pattern: key.pattern } : {}),
      not: { enum: [...(key.refused ?? []), ...SAFE_KEY.not.enum] },
    },
    additionalProperties: { type: "string", maxLength: LIMITS[value] },
    maxProperties: LIMITS[count],
    ...(description ? { description } : {}),
  });

/** grpc-gateway's error body. */
export const ErrorBody = Type.Object(
  {
    code: Type.Integer({ description: "gRPC status code" }),
    message: Type.String(),
    details: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { $id: "google.rpc.Status", title: "Status" },
);

export const Empty = (id: string, title: string) =>
  Type.Object({}, { $id: id, title, additionalProperties: false });

export const PageSize = Type.Integer({
  minimum: 0,
  maximum: 2147483647,
  format: "int32",
  description: `Items per page; 0 or absent: 50; more than ${MAX_PAGE_SIZE} reads as ${MAX_PAGE_SIZE}.`,
});

export const PageToken = Type.String({
  maxLength: LIMITS.pageToken,
  pattern: "^[A-Za-z0-9_-]*$",
  description:
    "The nextPageToken of the previous page of the same list (opaque; any other value is refused with INVALID_ARGUMENT).",
});

export const PageQuery = Type.Object(
  { page_size: Type.Optional(PageSize), page_token: Type.Optional(PageToken) },
  { additionalProperties: false },
);

/**
 * What an update's `updateMask` may say: updatable field paths (lowerCamelCase or proto names)
 * separated by commas, with spaces around them.
 */
export function updateMaskPattern(fields: readonly string[]): string {
  const spellings = fields.flatMap((field) => [
    field,
    field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
  ]);
  const names = [...new Set(spellings)].map((name) => name.replace(/\./g, "\\.")).join("|");
  const item = `[ \\t]*(?:${names})?[ \\t]*`;
  return `^${item}(?:,${item})*$`;
}

/**
 * An update's `updateMask`: the pattern states what the server accepts; a refused mask is
 * explained by the domain (which path is read-only, which is unknown).
 */
export const UpdateMask = (updatable: readonly string[], readOnly: readonly string[]) =>
  Type.Optional(
    Nullable(
      Text("updateMask", {
        pattern: updateMaskPattern(updatable),
        "x-explain": "updateMask",
        "x-updatable": updatable,
        "x-read-only": readOnly,
      }),
    ),
  );

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ref = (id: string) => Type.Ref(id);
