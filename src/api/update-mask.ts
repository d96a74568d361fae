// FieldMask handling for the C1 update operations. The mask arrives as protojson writes it
// ("displayName,description"); snake_case paths are accepted too. Without a mask, the fields
// present in the object are updated, as grpc-gateway infers for body-bound updates; an update that
// names no field changes nothing and answers the object as it is.

import { invalidArgument } from "../domain/errors.js";
import { checkLength, quote } from "../domain/limits.js";
import { updateMaskPattern } from "./contracts/common.js";

const camel = (path: string) => path.trim().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function resolveUpdateMask(
  mask: string | null | undefined,
  object: Record<string, unknown>,
  updatable: readonly string[],
  readOnly: readonly string[],
): string[] {
  if (mask) checkLength("updateMask", mask, "updateMask");
  const fields =
    mask && mask.trim() !== ""
      ? mask.split(",").map(camel).filter(Boolean)
      : Object.keys(object).filter((key) => !readOnly.includes(key) && object[key] !== undefined);
  for (const field of fields) {
    if (updatable.includes(field)) continue;
    if (readOnly.includes(field)) {
      throw invalidArgument(`updateMask: ${quote(field)} is read-only and cannot be updated`);
    }
    throw invalidArgument(
      `updateMask: ${quote(field)} is not an updatable field; use ${updatable.join(", ")}`,
    );
  }
  if (mask && !new RegExp(updateMaskPattern(updatable)).test(mask)) {
    throw invalidArgument(
      "updateMask: list field paths separated by commas (spaces and tabs around them are fine)",
    );
  }
  // No field named (an empty body, or only read-only fields sent back): nothing changes.
  return [...new Set(fields)];
}
