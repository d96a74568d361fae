// Issuing credential material in the C1 forms (api/contracts/credentials.ts describes them), so
// that the official C1 SDKs' token sources and baton connectors accept what syncplane issues.
// The secret's issuer segment is the one C1 itself writes ("conductorone.com").

import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from "node:crypto";

export const CLIENT_ID_SUFFIX = "syncplane";
const SECRET_PREFIX = "secret-token:conductorone.com:v1:";

export interface PublicJwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
}

export interface IssuedSecret {
  readonly clientSecret: string;
  readonly publicJwk: PublicJwk;
  readonly secretHash: string;
}

export function issueSecret(): IssuedSecret {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" }) as {
    kty: string;
    crv: string;
    x: string;
    d: string;
  };
  const privateJwk = { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d };
  const clientSecret =
    SECRET_PREFIX + Buffer.from(JSON.stringify(privateJwk), "utf8").toString("base64url");
  return {
    clientSecret,
    publicJwk: { kty: "OKP", crv: "Ed25519", x: jwk.x },
    secretHash: hashSecret(clientSecret),
  };
}

/** SHA-256 is enough here: the secret carries a 256-bit random key, so it cannot be guessed. */
export const hashSecret = (secret: string): string =>
  createHash("sha256").update(secret, "utf8").digest("hex");

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** Lower-case letters, digits and dashes; what a client id's name part may hold. */
export function slugName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return slug || "client";
}

export function newClientId(name: string, publicHost: string): string {
  const suffix = randomBytes(5).toString("hex").slice(0, 8);
  return `${slugName(name)}-${suffix}@${publicHost}/${CLIENT_ID_SUFFIX}`;
}

export const newAccessToken = (): string => `spat_${randomBytes(32).toString("base64url")}`;
