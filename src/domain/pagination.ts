// Page sizes and opaque page tokens for list endpoints. A token encodes the sort key of the last
// row returned; it is opaque to clients and validated when it comes back.

import { invalidArgument } from "./errors.js";
import { checkLength, quote } from "./limits.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface PageRequest {
  readonly pageSize: number;
  readonly after: string | null;
}

const INT32_MAX = 2147483647;

export function parsePageRequest(pageSize: unknown, pageToken: unknown): PageRequest {
  let size = DEFAULT_PAGE_SIZE;
  if (pageSize !== undefined && pageSize !== "") {
    const value = typeof pageSize === "number" ? pageSize : Number(String(pageSize));
    if (
      !Number.isInteger(value) ||
      value < 0 ||
      value > INT32_MAX ||
      (typeof pageSize !== "number" && !/^\d+$/.test(String(pageSize)))
    ) {
      throw invalidArgument(
        `page_size must be a whole number from 0 to ${INT32_MAX} (more than ${MAX_PAGE_SIZE} reads as ${MAX_PAGE_SIZE}), got ${quote(pageSize)}`,
      );
    }
    size = value === 0 ? DEFAULT_PAGE_SIZE : Math.min(value, MAX_PAGE_SIZE);
  }
  return { pageSize: size, after: decodePageToken(pageToken) };
}

export function encodePageToken(lastKey: string): string {
  return Buffer.from(`v1:${lastKey}`, "utf8").toString("base64url");
}

function decodePageToken(token: unknown): string | null {
  if (token === undefined || token === "") return null;
  const text = checkLength("page_token", String(token), "pageToken");
  const decoded = /^[A-Za-z0-9_-]+$/.test(text)
    ? Buffer.from(text, "base64url").toString("utf8")
    : "";
  if (!decoded.startsWith("v1:") || decoded.length <= 3) {
    throw invalidArgument("page_token is not a token this server issued; start again without it");
  }
  return decoded.slice(3);
}
