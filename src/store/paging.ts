// Paging helpers shared by both backends: keyset pages (the sort key of the last row, never
// an offset) and the page keys the list methods write and read back.

import { invalidArgument } from "../domain/errors.js";
import type { Row } from "./rows.js";
import type { Page } from "./store.js";

/** A page of `size` items from `rows` (fetched with one extra row to see whether more follow). */
export function page<T>(
  rows: Row[],
  size: number,
  map: (row: Row) => T,
  key: (row: Row) => string,
): Page<T> {
  const kept = rows.slice(0, size);
  const last = kept.at(-1);
  return {
    items: kept.map(map),
    nextKey: rows.length > size && last !== undefined ? key(last) : null,
  };
}

/** Splits a composite page key "<number>:<id>" written by the newest-first listings. */
export function splitKey(key: string): [number, string] {
  const at = key.indexOf(":");
  const time = Number(key.slice(0, at));
  if (at <= 0 || !Number.isFinite(time)) throw invalidPageToken();
  return [time, key.slice(at + 1)];
}

export const invalidPageToken = () =>
  invalidArgument("page_token is not a token this server issued; start again without it");

/** A page key written by the inventory list methods: a JSON array of `size` strings. */
export function parseKey(key: string, size: number): string[] {
  try {
    const parts = JSON.parse(key) as unknown;
    if (
      Array.isArray(parts) &&
      parts.length === size &&
      parts.every((part) => typeof part === "string")
    )
      return parts as string[];
  } catch {
    // fall through
  }
  throw invalidPageToken();
}
