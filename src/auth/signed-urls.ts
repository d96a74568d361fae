// Short-lived download URLs for sync artifacts (C1's GetConnectorSyncDownloadURL). The URL
// carries its expiry and an HMAC-SHA256 over what it grants (kind, connector, sync, expiry) made
// with a key kept in the store's settings, so every API node of one deployment can check URLs
// the others issued. Anyone holding the URL may download until it expires: it is the credential.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { permissionDenied } from "../domain/errors.js";
import type { Store } from "../store/store.js";

export const SIGNING_KEY_SETTING = "artifact_signing_key";
export const DOWNLOAD_URL_TTL_MS = 5 * 60 * 1000;

export interface DownloadGrant {
  readonly connectorId: string;
  readonly syncId: string;
  /** Epoch seconds. */
  readonly expires: number;
}

/** The deployment's signing key, created on first use. */
export async function signingKey(store: Store, now: number): Promise<Buffer> {
  const existing = await store.getSetting(SIGNING_KEY_SETTING);
  if (existing) return Buffer.from(existing, "base64url");
  const key = await store.transaction(async (tx) => {
    const raced = await tx.getSetting(SIGNING_KEY_SETTING);
    if (raced) return raced;
    const fresh = randomBytes(32).toString("base64url");
    await tx.putSetting(SIGNING_KEY_SETTING, fresh, now);
    return fresh;
  });
  return Buffer.from(key, "base64url");
}

const mac = (key: Buffer, grant: DownloadGrant) =>
  createHmac("sha256", key)
    .update(`c1z\n${grant.connectorId}\n${grant.syncId}\n${grant.expires}`)
    .digest("base64url");

/** The path and query of a download URL for the grant. */
export function signDownload(key: Buffer, grant: DownloadGrant): string {
  const query = new URLSearchParams({
    connector: grant.connectorId,
    expires: String(grant.expires),
    signature: mac(key, grant),
  });
  return `/downloads/syncs/${encodeURIComponent(grant.syncId)}/sync.c1z?${query}`;
}

/** Checks a download request; PERMISSION_DENIED says why it is refused. */
export function verifyDownload(
  key: Buffer,
  syncId: string,
  query: Readonly<Record<string, string | undefined>>,
  now: number,
): DownloadGrant {
  const { connector, expires, signature } = query;
  if (!connector || !expires || !signature || !/^\d{1,12}$/.test(expires)) {
    throw permissionDenied(
      "this download URL is incomplete; ask for a new one with GetConnectorSyncDownloadURL",
    );
  }
  const grant = { connectorId: connector, syncId, expires: Number(expires) };
  const expected = Buffer.from(mac(key, grant));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw permissionDenied("this download URL's signature is not valid; ask for a new one");
  }
  if (grant.expires * 1000 <= now) {
    throw permissionDenied(
      `this download URL expired at ${new Date(grant.expires * 1000).toISOString()}; ask for a new one`,
    );
  }
  return grant;
}
