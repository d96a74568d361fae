// Obtains and caches access tokens the way the official C1 SDKs do: an EdDSA client assertion
// signed with the key inside the client secret, posted to /auth/v1/token.

import { SignJWT, importJWK } from "jose";
import { clientIdHost, parseClientSecret } from "../api/contracts/credentials.js";
import type { TokenResponse } from "../api/contracts/auth.js";
import { SyncplaneError } from "./errors.js";
import { DEFAULT_REQUEST_TIMEOUT_MS, fetchOrExplain, readText } from "./network.js";

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export class ClientCredentialsTokenSource {
  private cached: { token: string; expiresAt: number } | null = null;

  constructor(
    private readonly tokenUrl: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {}

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - 60_000 > Date.now()) return this.cached.token;
    const jwk = parseClientSecret(this.clientSecret);
    const audience = clientIdHost(this.clientId);
    if (!audience)
      throw new Error(`client id "${this.clientId}" has no host (expected name@host/suffix)`);
    const key = await importJWK({ ...jwk }, "EdDSA");
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", nonce: crypto.randomUUID() })
      .setIssuer(this.clientId)
      .setSubject(this.clientId)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now - 120)
      .setExpirationTime(now + 120)
      .sign(key);
    const response = await fetchOrExplain(
      this.fetchImpl,
      this.tokenUrl,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: this.clientId,
          client_assertion_type: JWT_BEARER,
          client_assertion: assertion,
        }),
      },
      this.timeoutMs,
    );
    const text = await readText(response, this.tokenUrl, this.timeoutMs);
    let body: Partial<TokenResponse> & { code?: number; message?: string } = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object") body = parsed as typeof body;
    } catch {
      // Not JSON: reported below from the HTTP status.
    }
    if (!response.ok || !body.access_token) {
      throw new SyncplaneError(
        body.code ?? 16,
        body.message ?? `token request failed (HTTP ${response.status})`,
        response.status,
      );
    }
    this.cached = {
      token: body.access_token,
      expiresAt: Date.now() + (body.expires_in ?? 300) * 1000,
    };
    return body.access_token;
  }
}
