// Page sizes and opaque page tokens for list endpoints. A token encodes the sort key of the last
// row returned; it is opaque to clients and validated when it comes back.

import { invalidArgument } from "./errors.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface PageRequest {
  readonly pageSize: number;
  readonly after: string | null;
}

export function parsePageRequest(pageSize: unknown, pageToken: unknown): PageRequest {
  let size = DEFAULT_PAGE_SIZE;
  if (pageSize !== undefined && pageSize !== "") {
    const text = String(pageSize);
    if (!/^\d+$/.test(text)) {
      throw invalidArgument(
        `page_size must be a whole number from 0 to ${MAX_PAGE_SIZE}, got "${text}"`,
      );
    }
    size = Number(text);
    if (size === 0) size = DEFAULT_PAGE_SIZE;
    if (size > MAX_PAGE_SIZE) size = MAX_PAGE_SIZE;
  }
  return { pageSize: size, after: decodePageToken(pageToken) };
}

export function encodePageToken(lastKey: string): string {
  return Buffer.from(`v1:${lastKey}`, "utf8").toString("base64url");
}

function decodePageToken(token: unknown): string | null {
  if (token === undefined || token === "") return null;
  const text = String(token);
  const decoded = /^[A-Za-z0-9_-]+$/.test(text)
    ? Buffer.from(text, "base64url").toString("utf8")
    : "";
  if (!decoded.startsWith("v1:") || decoded.length <= 3) {
    throw invalidArgument("page_token is not a token this server issued; start again without it");
  }
  return decoded.slice(3);
}
