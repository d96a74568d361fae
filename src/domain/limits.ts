// Length bounds on every free-text and identifier field a client can send, enforced here (the
// HTTP schemas declare the same numbers as maxLength/maxItems, from these constants), and the
// rule that error messages quote client input only as a short prefix.
//
// Lengths count Unicode code points, as JSON Schema's maxLength does.

import { invalidArgument } from "./errors.js";

export const LIMITS = {
  /** syncplane's own ids (apps, connectors, syncs: 27-character KSUIDs) and C1 user ids. */
  id: 64,
  /** Ids that come from a connector's system: resource types, resources, entitlements, grants. */
  externalId: 1024,
  displayName: 256,
  description: 4096,
  /** Notes on a pause (shown as syncDisabledReason). */
  note: 1000,
  cronSpec: 256,
  timezone: 64,
  updateMask: 1024,
  // Inventory tokens carry the last ids of a page, which come from the connector's system.
  pageToken: 12288,
  /** Other short strings: C1 app attributes such as policy ids, access model, catalog ids. */
  shortText: 1024,
  /** Longer free text: app instructions, URLs. */
  longText: 16384,
  /** A path or a command line element of a connector's config. */
  path: 4096,
  envName: 256,
  /** An env value of a baton connector (API keys, passwords; a PEM key fits). */
  envValue: 16384,
  /** Entries of a list or map field. */
  listItems: 1000,
  userIds: 100,
  args: 256,
  envEntries: 256,
  annotations: 100,
  /** A webhook's URL. */
  url: 2048,
} as const;

export type LimitName = keyof typeof LIMITS;

/** Number of Unicode code points (what "characters" means in messages and in JSON Schema). */
export function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Refuses a string longer than the limit, naming the field and the limit. */
export function checkLength(field: string, value: string, limit: LimitName | number): string {
  const max = typeof limit === "number" ? limit : LIMITS[limit];
  // Code points ≤ UTF-16 units: only long strings need counting.
  if (value.length > max) {
    const length = codePoints(value);
    if (length > max) {
      throw invalidArgument(`${field} is too long: ${length} characters, at most ${max}`);
    }
  }
  return value;
}

/** Refuses a list with more entries than the limit, and any entry longer than its own limit. */
export function checkList(
  field: string,
  values: readonly string[],
  itemLimit: LimitName,
  countLimit: LimitName = "listItems",
): readonly string[] {
  const max = LIMITS[countLimit];
  if (values.length > max) {
    throw invalidArgument(`${field} has ${values.length} entries, at most ${max}`);
  }
  values.forEach((value, index) => checkLength(`${field}[${index}]`, value, itemLimit));
  return values;
}

/** The most a stored free-form value (C1 app attributes kept as they came) may take as JSON. */
export const MAX_ATTRIBUTES_BYTES = 64 * 1024;

/**
 * Bounds free-form values that are stored and returned without being interpreted (C1 app
 * attributes such as annotations or matchBatonRef): every string, list and map within bounds, and
 * the whole at most 64 KiB of JSON.
 */
export function checkAttributes(attributes: Readonly<Record<string, unknown>>): void {
  const walk = (value: unknown, where: string, depth: number): void => {
    if (depth > 8) throw invalidArgument(`${where} is nested more than 8 levels deep`);
    if (typeof value === "string") checkLength(where, value, "longText");
    else if (Array.isArray(value)) {
      if (value.length > LIMITS.listItems) {
        throw invalidArgument(`${where} has ${value.length} entries, at most ${LIMITS.listItems}`);
      }
      value.forEach((item, i) => walk(item, `${where}[${i}]`, depth + 1));
    } else if (value !== null && typeof value === "object") {
      const entries = Object.entries(value);
      if (entries.length > LIMITS.listItems) {
        throw invalidArgument(`${where} has ${entries.length} fields, at most ${LIMITS.listItems}`);
      }
      for (const [key, item] of entries) {
        checkLength(`a field name in ${where}`, key, "shortText");
        walk(item, `${where}.${key}`, depth + 1);
      }
    }
  };
  for (const [key, value] of Object.entries(attributes)) walk(value, key, 0);
  const bytes = new TextEncoder().encode(JSON.stringify(attributes)).length;
  if (bytes > MAX_ATTRIBUTES_BYTES) {
    throw invalidArgument(
      `the app's other fields take ${bytes} bytes as JSON, at most ${MAX_ATTRIBUTES_BYTES}`,
    );
  }
}

const QUOTE_PREFIX = 48;

/** Text from a request (a path) cut to a short prefix, with its full length named, unquoted. */
export function clip(text: string, prefix = 80): string {
  if (codePoints(text) <= prefix) return text;
  return `${firstCharacters(text, prefix)}… (${codePoints(text)} characters)`;
}

/**
 * A client's value as an error message may quote it: JSON-quoted, and cut to a short prefix with
 * the full length named, so that a 100 KB value never comes back in a response or a log line.
 */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  if (codePoints(text) <= QUOTE_PREFIX) return JSON.stringify(text);
  const cut = firstCharacters(text, QUOTE_PREFIX);
  return `${JSON.stringify(cut).slice(0, -1)}…" (${codePoints(text)} characters)`;
}

/** The first `count` code points of a text (never half a surrogate pair). */
function firstCharacters(text: string, count: number): string {
  // count code points take at most 2·count UTF-16 units.
  return Array.from(text.slice(0, 2 * count))
    .slice(0, count)
    .join("");
}
