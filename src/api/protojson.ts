// How requests are read, in one place for every route: what grpc-gateway over protojson accepts,
// syncplane accepts.
//
// - Bodies: every field by its lowerCamelCase JSON name or by its original proto name
//   (`cronSpec` or `cron_spec`); the same field under both names is refused. An explicit `null`
//   means "not set" and is dropped, except in a field that is required. Map keys (env names,
//   annotations) are data and are never renamed.
// - Query parameters: by their proto name (`page_size`) or its lowerCamelCase form (`pageSize`);
//   an undeclared parameter is refused (a `dry_run=true` that nothing reads must not look like it
//   worked); numbers and booleans are parsed here, so the schemas can declare them as such.
//
// The walk follows the route's JSON Schema (the same one that validates the request and is
// published in the OpenAPI document), so a field is renamed only where the schema declares it.

import { invalidArgument } from "../domain/errors.js";
import { quote } from "../domain/limits.js";

export type JsonSchema = Record<string, unknown>;
export type SchemaLookup = (id: string) => JsonSchema | undefined;

/** protoc's JSON name → proto name, for the names syncplane declares (`cronSpec` → `cron_spec`). */
export const protoName = (jsonName: string): string =>
  jsonName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** proto name → lowerCamelCase JSON name (`page_size` → `pageSize`). */
export const jsonName = (name: string): string =>
  name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export class ProtoJson {
  constructor(private readonly lookup: SchemaLookup) {}

  private resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let depth = 0; typeof current.$ref === "string" && depth < 16; depth++) {
      const id = current.$ref.replace(/#.*$/, "").replace(/^.*\//, "");
      const target = this.lookup(id);
      if (!target) return current;
      current = target;
    }
    return current;
  }

  /** The request body as the handlers and the validator expect it (see the top of the file). */
  body(value: unknown, schema: JsonSchema, path = ""): unknown {
    if (value === null || typeof value !== "object") return value;
    const resolved = this.branchFor(this.resolve(schema), value);
    if (!resolved) return value;
    if (Array.isArray(value)) {
      const items = resolved.items as JsonSchema | undefined;
      return items ? value.map((item, i) => this.body(item, items, `${path}[${i}]`)) : value;
    }
    const properties = resolved.properties as Record<string, JsonSchema> | undefined;
    const required = new Set((resolved.required as string[] | undefined) ?? []);
    const names = new Map<string, string>();
    for (const name of Object.keys(properties ?? {})) {
      names.set(name, name);
      names.set(protoName(name), name);
    }
    const additional =
      typeof resolved.additionalProperties === "object"
        ? (resolved.additionalProperties as JsonSchema)
        : undefined;
    const out: Record<string, unknown> = {};
    const givenAs = new Map<string, string>();
    for (const [key, field] of Object.entries(value)) {
      const name = names.get(key) ?? key;
      const where = path ? `${path}.${name}` : name;
      const earlier = givenAs.get(name);
      if (earlier !== undefined) {
        throw invalidArgument(
          `field ${quote(where)} is given twice, as ${quote(earlier)} and ${quote(key)}; send one`,
        );
      }
      givenAs.set(name, key);
      if (field === null && properties?.[name] && !required.has(name)) continue;
      const fieldSchema = properties?.[name] ?? additional;
      out[name] = fieldSchema ? this.body(field, fieldSchema, where) : field;
    }
    return out;
  }

  /**
   * The schema a JSON object or array is read with: itself, or the branch of a union it fits (for
   * a protobuf Any, the branch whose "@type" it names).
   */
  private branchFor(schema: JsonSchema, value: object): JsonSchema | null {
    const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
    if (!branches) return schema;
    const candidates = branches
      .map((branch) => this.branchFor(this.resolve(branch), value))
      .filter((branch): branch is JsonSchema => branch !== null);
    if (Array.isArray(value)) {
      return candidates.find((b) => b.type === "array" || b.items !== undefined) ?? null;
    }
    const objects = candidates.filter((b) => b.type === "object" || b.properties !== undefined);
    // The branch the discriminator names (an OpenAPI discriminator, or a protobuf Any's "@type").
    const key = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName;
    const record = value as Record<string, unknown>;
    const tag = record[key ?? "@type"] ?? (key ? record[protoName(key)] : undefined);
    const typed =
      tag === undefined
        ? undefined
        : objects.find((b) => {
            const property = (b.properties as Record<string, JsonSchema> | undefined)?.[
              key ?? "@type"
            ];
            return (
              property?.const === tag ||
              (Array.isArray(property?.enum) && property.enum.includes(tag))
            );
          });
    return typed ?? objects[0] ?? null;
  }

  /** The query as the handlers expect it: declared names, typed values (see the top). */
  query(raw: Record<string, unknown>, schema: JsonSchema | undefined): Record<string, unknown> {
    const resolved = schema ? this.resolve(schema) : {};
    const properties = (resolved.properties ?? {}) as Record<string, JsonSchema>;
    const names = new Map<string, string>();
    for (const name of Object.keys(properties)) {
      names.set(name, name);
      names.set(jsonName(name), name);
    }
    const out: Record<string, unknown> = {};
    for (const [key, given] of Object.entries(raw)) {
      const name = names.get(key);
      if (name === undefined) {
        const declared = Object.keys(properties);
        throw invalidArgument(
          declared.length === 0
            ? `unknown query parameter ${quote(key)}: this operation takes none`
            : `unknown query parameter ${quote(key)}; this operation takes ${declared.join(", ")}`,
        );
      }
      if (name in out || Array.isArray(given)) {
        throw invalidArgument(`query parameter ${quote(name)} is given more than once`);
      }
      out[name] = typed(name, String(given), properties[name] as JsonSchema);
    }
    return out;
  }
}

function typed(name: string, text: string, schema: JsonSchema): unknown {
  const type = schema.type;
  if (type === "integer") {
    if (!/^-?\d{1,16}$/.test(text)) {
      throw invalidArgument(`query parameter "${name}" must be a whole number, got ${quote(text)}`);
    }
    return Number(text);
  }
  if (type === "boolean") {
    if (text !== "true" && text !== "false") {
      throw invalidArgument(`query parameter "${name}" must be true or false, got ${quote(text)}`);
    }
    return text === "true";
  }
  return text;
}

/**
 * Declares protojson's `null` in a request schema: every optional field of every object also
 * accepts null (required ones do not). Returns a transformed copy; `$ref`s are left as they are
 * (the named schemas they point at are transformed by the same function when registered).
 */
export function acceptNull(schema: JsonSchema): JsonSchema {
  const walk = (node: unknown, root = false): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item));
    if (node === null || typeof node !== "object") return node;
    // A named schema used inline: point at the registered one (a second copy under the same $id
    // would be ambiguous).
    const id = (node as JsonSchema).$id;
    if (!root && typeof id === "string") return { $ref: `${id}#` };
    const copy: JsonSchema = {};
    for (const [key, value] of Object.entries(node as JsonSchema)) {
      copy[key] = key === "const" || key === "enum" || key === "default" ? value : walk(value);
    }
    // A body whose fields are all optional may be absent, `{}` or `null`: the same request.
    if (root && copy.type === "object" && !(copy.required as string[] | undefined)?.length) {
      copy.type = ["object", "null"];
    }
    const properties = copy.properties as Record<string, JsonSchema> | undefined;
    if (properties) {
      const required = new Set((copy.required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries(properties)) {
        if (!required.has(name) && !allowsNull(property)) {
          properties[name] = { anyOf: [property, { type: "null" }] };
        }
      }
    }
    return copy;
  };
  return walk(schema, true) as JsonSchema;
}

function allowsNull(schema: JsonSchema): boolean {
  if (schema.type === "null") return true;
  if (Array.isArray(schema.type) && schema.type.includes("null")) return true;
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  return Boolean(branches?.some(allowsNull));
}

/** Object keys refused anywhere in a JSON body (they could reach a prototype if merged). */
export const FORBIDDEN_KEYS = ["__proto__", "constructor"] as const;

/** The first forbidden key anywhere in a parsed JSON value, or null. */
export function forbiddenKey(value: unknown): string | null {
  if (value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = forbiddenKey(item);
      if (found !== null) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if ((FORBIDDEN_KEYS as readonly string[]).includes(key)) return key;
    const found = forbiddenKey((value as Record<string, unknown>)[key]);
    if (found !== null) return found;
  }
  return null;
}
