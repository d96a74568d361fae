// Labels on connectors: key → value pairs that people choose ("team": "identity", "tier":
// "critical") and that bulk operations select by. Kubernetes' rules, which operators know: a key
// is an optional DNS-style prefix and "/", then a name of letters, digits, "-", "_" and ".",
// beginning and ending with a letter or digit, at most 63 characters; a value is empty or the same
// shape as a name.

import { invalidArgument } from "./errors.js";

export type Labels = Readonly<Record<string, string>>;

export const MAX_LABELS = 64;
const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `labels` checked: a JSON object of string values with valid keys and values (a copy). */
export function parseLabels(labels: unknown, field = "labels"): Labels {
  if (labels === null || labels === undefined) return {};
  if (typeof labels !== "object" || Array.isArray(labels)) {
    throw invalidArgument(`${field} must be an object of "key": "value" pairs`);
  }
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > MAX_LABELS) {
    throw invalidArgument(`${field}: at most ${MAX_LABELS} labels, got ${entries.length}`);
  }
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!validKey(key)) {
      throw invalidArgument(
        `${field}: key ${JSON.stringify(key.slice(0, 80))} is not a label key (letters, digits, ` +
          `"-", "_" and "." beginning and ending with a letter or digit, at most 63; optionally ` +
          `prefixed by a DNS name and "/")`,
      );
    }
    if (typeof value !== "string") {
      throw invalidArgument(`${field}: the value of ${JSON.stringify(key)} must be a string`);
    }
    if (value !== "" && !NAME.test(value)) {
      throw invalidArgument(
        `${field}: the value of ${JSON.stringify(key)} (${JSON.stringify(value.slice(0, 80))}) ` +
          `must be empty or letters, digits, "-", "_" and "." beginning and ending with a ` +
          `letter or digit, at most 63`,
      );
    }
    result[key] = value;
  }
  return result;
}

function validKey(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash === -1) return NAME.test(key);
  const prefix = key.slice(0, slash);
  // (The whole key is at most 317 characters: the API schema's bound.)
  return key.length <= 317 && PREFIX.test(prefix) && NAME.test(key.slice(slash + 1));
}

/** Whether `labels` has every pair of `wanted` (an empty selector matches everything). */
export const labelsMatch = (labels: Labels, wanted: Labels): boolean =>
  Object.entries(wanted).every(([key, value]) => labels[key] === value);
