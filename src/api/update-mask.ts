// FieldMask handling for the C1 update operations. The mask arrives as protojson writes it
// ("displayName,description"); snake_case paths are accepted too. Without a mask, the fields
// present in the object are updated, as grpc-gateway infers for body-bound updates.

import { invalidArgument } from "../domain/errors.js";

const camel = (path: string) => path.trim().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function resolveUpdateMask(
  mask: string | null | undefined,
  object: Record<string, unknown>,
  updatable: readonly string[],
  readOnly: readonly string[],
): string[] {
  const fields =
    mask && mask.trim() !== ""
      ? mask.split(",").map(camel).filter(Boolean)
      : Object.keys(object).filter((key) => !readOnly.includes(key) && object[key] !== undefined);
  for (const field of fields) {
    if (updatable.includes(field)) continue;
    if (readOnly.includes(field)) {
      throw invalidArgument(`updateMask: "${field}" is read-only and cannot be updated`);
    }
    throw invalidArgument(
      `updateMask: "${field}" is not an updatable field; use ${updatable.join(", ")}`,
    );
  }
  if (fields.length === 0) {
    throw invalidArgument(
      `nothing to update: set updateMask or send fields among ${updatable.join(", ")}`,
    );
  }
  return [...new Set(fields)];
}
