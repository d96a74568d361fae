// The built-in file connector's inventory format (SPEC §8), read from JSON or YAML, validated with
// errors that name the file, the line and the field.
//
//   {"resourceTypes":[{"id":"user","displayName":"User","traits":["USER"]}],
//    "resources":[{"resourceType":"user","id":"u1","displayName":"Alice"}],
//    "entitlements":[{"resourceType":"group","resourceId":"g1","slug":"member","displayName":"…"}],
//    "grants":[{"entitlement":"group:g1:member","principal":{"resourceType":"user","id":"u1"}}]}
//
// JSON is read with JSON.parse; errors are located with the YAML parser (which reads JSON too
// and knows where every value is). Extensions: a resource type may say "skipDataDropCheck": true (baton's
// SkipSyncAnomalyDetection); a resource may name a "parent": {"resourceType","id"}.

import { LineCounter, parseDocument, type Document } from "yaml";
import {
  RESOURCE_TRAITS,
  entitlementId,
  grantId,
  type EntitlementRecord,
  type GrantRecord,
  type ResourceRecord,
  type ResourceRef,
  type ResourceTrait,
  type ResourceTypeRecord,
} from "../../domain/inventory.js";

export interface Inventory {
  readonly resourceTypes: ResourceTypeRecord[];
  readonly resources: ResourceRecord[];
  readonly entitlements: EntitlementRecord[];
  readonly grants: GrantRecord[];
}

/** A problem with the file's contents: where it is, and what is wrong. */
export class InventoryError extends Error {
  constructor(path: string, line: number | null, field: string, problem: string) {
    super(
      `inventory file ${path}${line ? ` line ${line}` : ""}: ${field ? `${field} ` : ""}${problem}`,
    );
    this.name = "InventoryError";
  }
}

export interface GrantEntry {
  readonly entitlement: string;
  readonly principal: { readonly resourceType: string; readonly id: string };
}

/** A parsed file that can be changed and written back (YAML keeps its comments and layout). */
export interface ParsedInventory {
  readonly inventory: Inventory;
  readonly format: "json" | "yaml";
  addGrant(entry: GrantEntry): void;
  removeGrant(index: number): void;
  serialize(): string;
}

const TOP_LEVEL = ["resourceTypes", "resources", "entitlements", "grants"];

export function formatOf(path: string, text: string): "json" | "yaml" {
  if (/\.ya?ml$/i.test(path)) return "yaml";
  if (/\.json$/i.test(path)) return "json";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

export function parseInventory(path: string, text: string): ParsedInventory {
  return formatOf(path, text) === "json" ? parseJson(path, text) : parseYaml(path, text);
}

/** JSON goes through JSON.parse (fast); the YAML parser, which knows lines, only explains errors. */
function parseJson(path: string, text: string): ParsedInventory {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const located = locate(path, text);
    const line = located.syntaxLine ?? lineFromJsonError(text, (error as Error).message);
    throw new InventoryError(path, line, "", `is not valid JSON: ${(error as Error).message}`);
  }
  const inventory = validate(data, (fieldPath, problem) =>
    locate(path, text).fail(fieldPath, problem),
  );
  const root = data as { grants?: GrantEntry[] };
  return {
    inventory,
    format: "json",
    addGrant: (entry) => {
      (root.grants ??= []).push(entry);
    },
    removeGrant: (index) => {
      root.grants?.splice(index, 1);
    },
    serialize: () => `${JSON.stringify(root, null, 2)}\n`,
  };
}

function parseYaml(path: string, text: string): ParsedInventory {
  const located = locate(path, text);
  if (located.syntaxLine !== null || located.syntaxMessage) {
    throw new InventoryError(
      path,
      located.syntaxLine,
      "",
      `is not valid YAML: ${located.syntaxMessage}`,
    );
  }
  const document = located.document;
  const inventory = validate(document.toJS(), located.fail);
  return {
    inventory,
    format: "yaml",
    addGrant: (entry) => {
      if (document.has("grants")) document.addIn(["grants"], entry);
      else document.set("grants", [entry]);
    },
    removeGrant: (index) => {
      document.deleteIn(["grants", index]);
    },
    serialize: () => document.toString(),
  };
}

/** Parses with positions, to say on which line a syntax error or a bad field is. */
function locate(path: string, text: string) {
  const lines = new LineCounter();
  const document: Document = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const syntax = document.errors[0];
  const lineOf = (fieldPath: (string | number)[]): number | null => {
    const node = document.getIn(fieldPath, true) as
      { range?: [number, number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : null;
  };
  const fail = (fieldPath: (string | number)[], problem: string): never => {
    let at = fieldPath;
    let line = lineOf(at);
    while (line === null && at.length > 0) {
      at = at.slice(0, -1);
      line = lineOf(at);
    }
    throw new InventoryError(path, line, fieldName(fieldPath), problem);
  };
  return {
    document,
    fail,
    syntaxLine: syntax ? lines.linePos(syntax.pos[0]).line : null,
    syntaxMessage: syntax ? (syntax.message.split("\n")[0] ?? "") : "",
  };
}

/** "… at position 42 …" (Node's JSON.parse) → the line of that position. */
function lineFromJsonError(text: string, message: string): number | null {
  const position = /position (\d+)/.exec(message);
  return position ? text.slice(0, Number(position[1])).split("\n").length : null;
}

function fieldName(path: (string | number)[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}

type Fail = (path: (string | number)[], problem: string) => never;

function validate(data: unknown, fail: Fail): Inventory {
  if (data === null || data === undefined)
    fail([], "is empty; it needs resourceTypes, resources, entitlements and grants");
  if (typeof data !== "object" || Array.isArray(data))
    fail([], "must hold an object at the top level");
  const root = data as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL.includes(key))
      fail([key], `is not a known section; use ${TOP_LEVEL.join(", ")}`);
  }
  const list = (key: string): Record<string, unknown>[] => {
    const value = root[key] ?? [];
    if (!Array.isArray(value)) fail([key], "must be a list");
    return (value as unknown[]).map((item, i) => {
      if (typeof item !== "object" || item === null || Array.isArray(item))
        fail([key, i], "must be an object");
      return item as Record<string, unknown>;
    });
  };
  const text = (
    item: Record<string, unknown>,
    at: (string | number)[],
    key: string,
    required = true,
  ): string => {
    const value = item[key];
    if (value === undefined && !required) return "";
    if (typeof value !== "string" || (required && value === "")) {
      fail([...at, key], value === undefined ? "is required" : "must be a non-empty string");
    }
    return value as string;
  };
  const only = (item: Record<string, unknown>, at: (string | number)[], keys: string[]) => {
    for (const key of Object.keys(item))
      if (!keys.includes(key)) fail([...at, key], `is not a known field; use ${keys.join(", ")}`);
  };

  const resourceTypes: ResourceTypeRecord[] = [];
  const typeIds = new Set<string>();
  list("resourceTypes").forEach((item, i) => {
    const at = ["resourceTypes", i];
    only(item, at, ["id", "displayName", "traits", "skipDataDropCheck"]);
    const id = text(item, at, "id");
    if (typeIds.has(id)) fail([...at, "id"], `"${id}" is declared twice`);
    typeIds.add(id);
    const traits = item.traits ?? [];
    if (!Array.isArray(traits)) fail([...at, "traits"], "must be a list");
    (traits as unknown[]).forEach((trait, t) => {
      if (!(RESOURCE_TRAITS as readonly unknown[]).includes(trait)) {
        fail(
          [...at, "traits", t],
          `"${String(trait)}" is not a trait; use ${RESOURCE_TRAITS.join(", ")}`,
        );
      }
    });
    if (item.skipDataDropCheck !== undefined && typeof item.skipDataDropCheck !== "boolean") {
      fail([...at, "skipDataDropCheck"], "must be true or false");
    }
    resourceTypes.push({
      id,
      displayName: text(item, at, "displayName", false) || id,
      traits: traits as ResourceTrait[],
      skipDataDropCheck: item.skipDataDropCheck === true,
    });
  });

  const ref = (value: unknown, at: (string | number)[], keys: [string, string]): ResourceRef => {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      fail(at, `must be an object with ${keys.join(" and ")}`);
    const item = value as Record<string, unknown>;
    only(item, at, keys);
    return { resourceTypeId: text(item, at, keys[0]), resourceId: text(item, at, keys[1]) };
  };

  const resources: ResourceRecord[] = [];
  const resourceKeys = new Set<string>();
  const resourceItems = list("resources");
  resourceItems.forEach((item, i) => {
    const at = ["resources", i];
    only(item, at, ["resourceType", "id", "displayName", "parent"]);
    const resourceTypeId = text(item, at, "resourceType");
    if (!typeIds.has(resourceTypeId))
      fail([...at, "resourceType"], `"${resourceTypeId}" is not a declared resource type`);
    const resourceId = text(item, at, "id");
    const key = `${resourceTypeId}:${resourceId}`;
    if (resourceKeys.has(key))
      fail([...at, "id"], `"${resourceId}" appears twice for type "${resourceTypeId}"`);
    resourceKeys.add(key);
    resources.push({
      resourceTypeId,
      resourceId,
      displayName: text(item, at, "displayName", false) || resourceId,
      parent:
        item.parent === undefined
          ? null
          : ref(item.parent, [...at, "parent"], ["resourceType", "id"]),
    });
  });
  resources.forEach((resource, i) => {
    if (
      resource.parent &&
      !resourceKeys.has(`${resource.parent.resourceTypeId}:${resource.parent.resourceId}`)
    ) {
      fail(
        ["resources", i, "parent"],
        `names ${resource.parent.resourceTypeId} "${resource.parent.resourceId}", which is not a resource in this file`,
      );
    }
  });

  const entitlements: EntitlementRecord[] = [];
  const entitlementIds = new Set<string>();
  list("entitlements").forEach((item, i) => {
    const at = ["entitlements", i];
    only(item, at, ["resourceType", "resourceId", "slug", "displayName"]);
    const resourceTypeId = text(item, at, "resourceType");
    const resourceId = text(item, at, "resourceId");
    if (!resourceKeys.has(`${resourceTypeId}:${resourceId}`)) {
      fail(
        [...at, "resourceId"],
        `names ${resourceTypeId} "${resourceId}", which is not a resource in this file`,
      );
    }
    const slug = text(item, at, "slug");
    const id = entitlementId(resourceTypeId, resourceId, slug);
    if (entitlementIds.has(id)) fail([...at, "slug"], `entitlement "${id}" is declared twice`);
    entitlementIds.add(id);
    entitlements.push({
      id,
      resourceTypeId,
      resourceId,
      slug,
      displayName: text(item, at, "displayName", false) || id,
    });
  });

  const grants: GrantRecord[] = [];
  const grantIds = new Set<string>();
  list("grants").forEach((item, i) => {
    const at = ["grants", i];
    only(item, at, ["entitlement", "principal"]);
    const entitlement = text(item, at, "entitlement");
    if (!entitlementIds.has(entitlement))
      fail([...at, "entitlement"], `"${entitlement}" is not an entitlement in this file`);
    const principal = ref(item.principal, [...at, "principal"], ["resourceType", "id"]);
    if (!resourceKeys.has(`${principal.resourceTypeId}:${principal.resourceId}`)) {
      fail(
        [...at, "principal"],
        `names ${principal.resourceTypeId} "${principal.resourceId}", which is not a resource in this file`,
      );
    }
    const id = grantId(entitlement, principal);
    if (grantIds.has(id))
      fail(
        at,
        `grants "${entitlement}" to ${principal.resourceTypeId} "${principal.resourceId}" twice`,
      );
    grantIds.add(id);
    grants.push({ id, entitlementId: entitlement, principal });
  });

  return { resourceTypes, resources, entitlements, grants };
}
