// OAuth2 client-credentials token endpoint logic (POST /auth/v1/token) and bearer verification.
//
// Two ways to authenticate a client, both with grant_type=client_credentials:
//  - client_id + client_secret in the form body (or HTTP Basic), checked against the stored
//    SHA-256 of the secret in constant time;
//  - client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer with an EdDSA
//    JWT signed by the secret's Ed25519 key (what the official C1 SDKs and baton send):
//    iss = sub = client id, aud = the host named in the client id (without port), short expiry.
// Access tokens are opaque random strings; only their SHA-256 is stored, so revoking a
// credential (or letting a token expire) stops them on every node sharing the store.

import { createHash } from "node:crypto";
import { decodeJwt, importJWK, jwtVerify, type CryptoKey, type KeyObject } from "jose";
import { AppError } from "../domain/errors.js";
import { LIMITS, quote, type LimitName } from "../domain/limits.js";
import type { CredentialRecord } from "../domain/model.js";
import type { Clock } from "../runtime.js";
import type { Store } from "../store/store.js";
import { clientIdHost, hostWithoutPort } from "../api/contracts/credentials.js";
import { newAccessToken, secretMatches } from "./secrets.js";

export const ACCESS_TOKEN_TTL_SECONDS = 3600;
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const FORM_LIMITS: readonly (readonly [string, LimitName])[] = [
  ["grant_type", "shortText"],
  ["client_id", "shortText"],
  ["client_secret", "shortText"],
  ["client_assertion_type", "shortText"],
  ["client_assertion", "longText"],
  ["scope", "shortText"],
];
/** Assertions must be short-lived: refuse ones valid for longer than this from now. */
const MAX_ASSERTION_LIFETIME_SECONDS = 10 * 60;
const CLOCK_SKEW_SECONDS = 60;

export type OAuthErrorKind = "invalid_request" | "invalid_client" | "unsupported_grant_type";

/** A token endpoint failure: a gRPC-coded AppError that also carries the RFC 6749 error kind. */
export class OAuthError extends AppError {
  constructor(
    readonly kind: OAuthErrorKind,
    message: string,
  ) {
    super(kind === "invalid_client" ? "UNAUTHENTICATED" : "INVALID_ARGUMENT", message);
  }
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: "Bearer";
  readonly expires_in: number;
}

export interface Principal {
  readonly credentialId: string;
  readonly clientId: string;
  readonly role: CredentialRecord["role"];
  readonly connectorId: string | null;
}

export const principalOf = (credential: CredentialRecord): Principal => ({
  credentialId: credential.id,
  clientId: credential.clientId,
  role: credential.role,
  connectorId: credential.connectorId,
});

export const hashToken = (token: string): string =>
  createHash("sha256").update(token, "utf8").digest("hex");

export class TokenService {
  private readonly keys = new Map<string, CryptoKey | KeyObject | Uint8Array>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** host[:port] of syncplane's public URL (known once the server has bound its port). */
    private readonly publicHost: () => string,
  ) {}

  async exchange(
    form: Readonly<Record<string, string | undefined>>,
    basic?: { clientId: string; clientSecret: string },
  ): Promise<TokenResponse> {
    for (const [field, limit] of FORM_LIMITS) {
      const value = form[field];
      if (value !== undefined && value.length > LIMITS[limit]) {
        throw new OAuthError(
          "invalid_request",
          `${field} is too long: ${value.length} characters, at most ${LIMITS[limit]}`,
        );
      }
    }
    const grantType = form.grant_type;
    if (!grantType)
      throw new OAuthError("invalid_request", "grant_type is required (client_credentials)");
    if (grantType !== "client_credentials") {
      throw new OAuthError(
        "unsupported_grant_type",
        `grant_type ${quote(grantType)} is not supported; use client_credentials`,
      );
    }
    const credential = form.client_assertion
      ? await this.verifyAssertion(form)
      : await this.verifySecret(
          form.client_id ?? basic?.clientId,
          form.client_secret ?? basic?.clientSecret,
        );
    return this.issue(credential);
  }

  /** The principal behind a bearer token, or null when it is unknown, expired or revoked. */
  async authenticate(token: string): Promise<Principal | null> {
    const credential = await this.store.findAccessToken(hashToken(token), this.clock.now());
    return credential ? principalOf(credential) : null;
  }

  private async verifySecret(
    clientId: string | undefined,
    secret: string | undefined,
  ): Promise<CredentialRecord> {
    if (!clientId) throw new OAuthError("invalid_request", "client_id is required");
    if (!secret) {
      throw new OAuthError(
        "invalid_request",
        "send client_secret, or client_assertion with client_assertion_type " + JWT_BEARER,
      );
    }
    const credential = await this.store.getCredentialByClientId(clientId);
    if (!credential || !secretMatches(secret, credential.secretHash)) {
      throw new OAuthError(
        "invalid_client",
        "client authentication failed: unknown client_id or wrong client_secret",
      );
    }
    return live(credential);
  }

  private async verifyAssertion(
    form: Readonly<Record<string, string | undefined>>,
  ): Promise<CredentialRecord> {
    if (form.client_assertion_type !== JWT_BEARER) {
      throw new OAuthError("invalid_request", `client_assertion_type must be ${JWT_BEARER}`);
    }
    const assertion = form.client_assertion ?? "";
    let issuer: string;
    try {
      const claims = decodeJwt(assertion);
      issuer = typeof claims.iss === "string" ? claims.iss : "";
    } catch {
      throw new OAuthError("invalid_client", "client_assertion is not a JWT");
    }
    if (!issuer)
      throw new OAuthError("invalid_client", "client_assertion has no iss claim (the client id)");
    if (form.client_id && form.client_id !== issuer) {
      throw new OAuthError("invalid_client", "client_id does not match the assertion's iss claim");
    }
    const credential = await this.store.getCredentialByClientId(issuer);
    // Same answer as a bad signature: the endpoint does not tell which client ids exist.
    if (!credential)
      throw new OAuthError("invalid_client", `client_assertion rejected: ${BAD_SIGNATURE}`);
    const audiences = acceptedAudiences([
      hostWithoutPort(this.publicHost()),
      clientIdHost(credential.clientId),
    ]);
    let exp: number | undefined;
    try {
      const verified = await jwtVerify(assertion, await this.keyOf(credential), {
        algorithms: ["EdDSA"],
        issuer: credential.clientId,
        subject: credential.clientId,
        audience: audiences,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ["exp"],
        currentDate: new Date(this.clock.now()),
      });
      exp = verified.payload.exp;
    } catch (error) {
      throw new OAuthError(
        "invalid_client",
        `client_assertion rejected: ${assertionProblem(error, audiences)}`,
      );
    }
    if (exp !== undefined && exp - this.clock.now() / 1000 > MAX_ASSERTION_LIFETIME_SECONDS) {
      throw new OAuthError(
        "invalid_client",
        `client_assertion rejected: it expires more than ${MAX_ASSERTION_LIFETIME_SECONDS / 60} minutes from now; sign short-lived assertions`,
      );
    }
    return live(credential);
  }

  private async keyOf(credential: CredentialRecord) {
    let key = this.keys.get(credential.id);
    if (!key) {
      key = await importJWK({ ...credential.publicJwk }, "EdDSA");
      this.keys.set(credential.id, key);
    }
    return key;
  }

  private async issue(credential: CredentialRecord): Promise<TokenResponse> {
    const token = newAccessToken();
    const now = this.clock.now();
    await this.store.transaction(async (tx) => {
      await tx.deleteExpiredAccessTokens(now);
      await tx.insertAccessToken({
        tokenHash: hashToken(token),
        credentialId: credential.id,
        issuedAt: now,
        expiresAt: now + ACCESS_TOKEN_TTL_SECONDS * 1000,
      });
      await tx.touchCredential(credential.id, now);
    });
    return { access_token: token, token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL_SECONDS };
  }
}

/** Hosts a client may name as the audience; IPv6 literals both with and without brackets. */
function acceptedAudiences(hosts: (string | null)[]): string[] {
  const result = new Set<string>();
  for (const host of hosts) {
    if (!host) continue;
    result.add(host);
    if (host.startsWith("[") && host.endsWith("]")) result.add(host.slice(1, -1));
  }
  return [...result];
}

const BAD_SIGNATURE = "the signature does not match this client's key";

function live(credential: CredentialRecord): CredentialRecord {
  if (credential.revokedAt !== null) {
    throw new OAuthError("invalid_client", `credential ${credential.clientId} has been revoked`);
  }
  return credential;
}

function assertionProblem(error: unknown, audiences: string[]): string {
  const code = (error as { code?: string }).code ?? "";
  const claim = (error as { claim?: string }).claim ?? "";
  if (code === "ERR_JWT_EXPIRED") return "it has expired; sign a fresh one";
  if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") return BAD_SIGNATURE;
  if (code === "ERR_JOSE_ALG_NOT_ALLOWED") return "only EdDSA (Ed25519) signatures are accepted";
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    if (claim === "aud") return `wrong audience; expected ${audiences.join(" or ")}`;
    if (claim === "nbf") return "it is not valid yet (nbf in the future)";
    return `the ${claim} claim is wrong or missing`;
  }
  return "it is not a valid signed JWT";
}
