// The token endpoint with both credential forms, bearer checks, revocation and introspection.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT, importJWK } from "jose";
import { parseClientSecret } from "../../src/api/contracts/credentials.js";
import { revokeCredential } from "../../src/auth/credentials.js";
import { hashToken } from "../../src/auth/tokens.js";
import { systemClock } from "../../src/runtime.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/auth/v1/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

interface AssertionOptions {
  audience?: string;
  expiresIn?: number;
  notBefore?: number;
  issuer?: string;
  key?: Awaited<ReturnType<typeof importJWK>>;
}

async function assertionFor(
  creds: { clientId: string; clientSecret: string },
  options: AssertionOptions = {},
) {
  const key =
    options.key ?? (await importJWK({ ...parseClientSecret(creds.clientSecret) }, "EdDSA"));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", nonce: "n-" + now })
    .setIssuer(options.issuer ?? creds.clientId)
    .setSubject(options.issuer ?? creds.clientId)
    .setAudience(options.audience ?? "127.0.0.1")
    .setIssuedAt(now)
    .setNotBefore(now + (options.notBefore ?? -120))
    .setExpirationTime(now + (options.expiresIn ?? 120))
    .sign(key);
}

const assertionForm = (clientId: string, assertion: string) => ({
  grant_type: "client_credentials",
  client_id: clientId,
  client_assertion_type: JWT_BEARER,
  client_assertion: assertion,
});

function assertOAuthError(
  result: { status: number; body: Record<string, unknown> },
  status: number,
  kind: string,
  message: RegExp,
) {
  assert.equal(result.status, status, JSON.stringify(result.body));
  assert.equal(result.body.error, kind);
  assert.equal(result.body.code, status === 401 ? 16 : 3);
  assert.deepEqual(result.body.details, []);
  assert.match(String(result.body.message), message);
  assert.equal(result.body.error_description, result.body.message);
}

async function apiStatus(token: string) {
  return (await server.call("GET", "/api/v1/auth/introspect", { token })).status;
}

describe("client secret in the form body", () => {
  it("issues a bearer token", async () => {
    const result = await tokenRequest({
      grant_type: "client_credentials",
      client_id: server.admin.clientId,
      client_secret: server.admin.clientSecret,
    });
    assert.equal(result.status, 200);
    assert.equal(result.body.token_type, "Bearer");
    assert.equal(result.body.expires_in, 3600);
    assert.equal(typeof result.body.access_token, "string");
    assert.equal(result.headers.get("cache-control"), "no-store");
    assert.equal(await apiStatus(String(result.body.access_token)), 200);
  });

  it("accepts HTTP Basic credentials without form-encoding too (curl -u id:secret)", async () => {
    const basic = Buffer.from(`${server.admin.clientId}:${server.admin.clientSecret}`).toString(
      "base64",
    );
    const result = await tokenRequest(
      { grant_type: "client_credentials" },
      { authorization: `Basic ${basic}` },
    );
    assert.equal(result.status, 200, JSON.stringify(result.body));
  });

  it("accepts HTTP Basic credentials too", async () => {
    const basic = Buffer.from(
      `${encodeURIComponent(server.admin.clientId)}:${encodeURIComponent(server.admin.clientSecret)}`,
    ).toString("base64");
    const result = await tokenRequest(
      { grant_type: "client_credentials" },
      { authorization: `Basic ${basic}` },
    );
    assert.equal(result.status, 200);
  });

  it("refuses a wrong secret and an unknown client alike", async () => {
    const other = await server.credential("viewer");
    assertOAuthError(
      await tokenRequest({
        grant_type: "client_credentials",
        client_id: server.admin.clientId,
        client_secret: other.clientSecret,
      }),
      401,
      "invalid_client",
      /unknown client_id or wrong client_secret/,
    );
    assertOAuthError(
      await tokenRequest({
        grant_type: "client_credentials",
        client_id: "ghost@127.0.0.1/x",
        client_secret: other.clientSecret,
      }),
      401,
      "invalid_client",
      /unknown client_id or wrong client_secret/,
    );
  });

  it("explains missing fields and unsupported grants", async () => {
    assertOAuthError(
      await tokenRequest({ client_id: "x" }),
      400,
      "invalid_request",
      /"grant_type" is required/,
    );
    assertOAuthError(
      await tokenRequest({ grant_type: "password" }),
      400,
      "unsupported_grant_type",
      /use client_credentials/,
    );
    assertOAuthError(
      await tokenRequest({ grant_type: "client_credentials" }),
      400,
      "invalid_request",
      /send client_id and client_secret, or client_assertion/,
    );
    assertOAuthError(
      await tokenRequest({ grant_type: "client_credentials", client_id: server.admin.clientId }),
      400,
      "invalid_request",
      /send client_id and client_secret, or client_assertion/,
    );
  });
});

describe("Ed25519 client assertion (the C1 SDK flow)", () => {
  it("issues a token for a valid assertion", async () => {
    const assertion = await assertionFor(server.admin);
    const result = await tokenRequest(assertionForm(server.admin.clientId, assertion));
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(await apiStatus(String(result.body.access_token)), 200);
  });

  it("works without client_id in the form (iss names the client)", async () => {
    const assertion = await assertionFor(server.admin);
    const { client_id: _omit, ...form } = assertionForm(server.admin.clientId, assertion);
    assert.equal((await tokenRequest(form)).status, 200);
  });

  it("refuses an expired assertion", async () => {
    const assertion = await assertionFor(server.admin, { expiresIn: -300, notBefore: -600 });
    assertOAuthError(
      await tokenRequest(assertionForm(server.admin.clientId, assertion)),
      401,
      "invalid_client",
      /expired/,
    );
  });

  it("refuses a wrong audience", async () => {
    const assertion = await assertionFor(server.admin, { audience: "evil.example.com" });
    assertOAuthError(
      await tokenRequest(assertionForm(server.admin.clientId, assertion)),
      401,
      "invalid_client",
      /wrong audience; expected 127.0.0.1/,
    );
  });

  it("refuses an assertion signed with another key", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const jwk = privateKey.export({ format: "jwk" });
    const assertion = await assertionFor(server.admin, { key: await importJWK(jwk, "EdDSA") });
    assertOAuthError(
      await tokenRequest(assertionForm(server.admin.clientId, assertion)),
      401,
      "invalid_client",
      /signature does not match/,
    );
  });

  it("refuses another algorithm", async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(server.admin.clientId)
      .setSubject(server.admin.clientId)
      .setAudience("127.0.0.1")
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode("a-shared-secret-that-is-long-enough-123"));
    assertOAuthError(
      await tokenRequest(assertionForm(server.admin.clientId, assertion)),
      401,
      "invalid_client",
      /only EdDSA/,
    );
  });

  it("refuses long-lived assertions", async () => {
    const assertion = await assertionFor(server.admin, { expiresIn: 3600 });
    assertOAuthError(
      await tokenRequest(assertionForm(server.admin.clientId, assertion)),
      401,
      "invalid_client",
      /sign short-lived assertions/,
    );
  });

  it("refuses unknown issuers, mismatched client ids and garbage", async () => {
    const viewer = await server.credential("viewer");
    const forged = await assertionFor(server.admin, { issuer: "nobody@127.0.0.1/syncplane" });
    assertOAuthError(
      await tokenRequest(assertionForm("nobody@127.0.0.1/syncplane", forged)),
      401,
      "invalid_client",
      /signature does not match this client's key/,
    );
    const assertion = await assertionFor(server.admin);
    assertOAuthError(
      await tokenRequest(assertionForm(viewer.clientId, assertion)),
      401,
      "invalid_client",
      /does not match the assertion's iss/,
    );
    assertOAuthError(
      await tokenRequest(assertionForm(server.admin.clientId, "not.a.jwt")),
      401,
      "invalid_client",
      /not a JWT/,
    );
    assertOAuthError(
      await tokenRequest({
        ...assertionForm(server.admin.clientId, assertion),
        client_assertion_type: "saml",
      }),
      400,
      "invalid_request",
      /"client_assertion_type" must be "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"/,
    );
  });
});

describe("revocation", () => {
  it("stops issued tokens and refuses both flows afterwards", async () => {
    const creds = await server.credential("operator");
    const issued = await tokenRequest({
      grant_type: "client_credentials",
      client_id: creds.clientId,
      client_secret: creds.clientSecret,
    });
    const token = String(issued.body.access_token);
    assert.equal(await apiStatus(token), 200);
    await revokeCredential(server.server.store, systemClock, creds.clientId, "test");
    const refused = await server.call("GET", "/api/v1/auth/introspect", { token });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 16);
    assertOAuthError(
      await tokenRequest({
        grant_type: "client_credentials",
        client_id: creds.clientId,
        client_secret: creds.clientSecret,
      }),
      401,
      "invalid_client",
      /has been revoked/,
    );
    assertOAuthError(
      await tokenRequest(assertionForm(creds.clientId, await assertionFor(creds))),
      401,
      "invalid_client",
      /has been revoked/,
    );
  });
});

describe("bearer tokens on /api", () => {
  it("are required", async () => {
    const response = await server.call("GET", "/api/v1/apps", { token: null });
    assert.equal(response.status, 401);
    assert.equal(response.body.code, 16);
    assert.match(String(response.body.message), /missing Authorization header/);
    assert.match(String(response.headers.get("www-authenticate")), /^Bearer/);
  });

  it("must be well-formed and known", async () => {
    const malformed = await server.call("GET", "/api/v1/apps", {
      token: null,
      headers: { authorization: "Token abc" },
    });
    assert.equal(malformed.status, 401);
    assert.match(String(malformed.body.message), /Bearer <access token>/);
    const unknown = await server.call("GET", "/api/v1/apps", { token: "spat_nope" });
    assert.equal(unknown.status, 401);
    assert.match(String(unknown.body.message), /invalid, expired or revoked/);
  });

  it("expire", async () => {
    const creds = await server.credential("viewer");
    const credential = await server.server.store.getCredentialByClientId(creds.clientId);
    await server.server.store.transaction((tx) =>
      tx.insertAccessToken({
        tokenHash: hashToken("spat_expired"),
        credentialId: credential?.id ?? "",
        issuedAt: 1,
        expiresAt: Date.now() - 1,
      }),
    );
    assert.equal(await apiStatus("spat_expired"), 401);
  });
});

describe("introspection", () => {
  it("answers who the caller is", async () => {
    const response = await server.call("GET", "/api/v1/auth/introspect", {
      token: await server.token("viewer"),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.roles, ["viewer"]);
    assert.ok((response.body.permissions as string[]).includes("connectors.read"));
    assert.ok(!(response.body.permissions as string[]).includes("connectors.control"));
    assert.match(String(response.body.clientId), /@127\.0\.0\.1:\d+\/syncplane$/);
    assert.match(String(response.body.principleId), /^[0-9A-Za-z]{27}$/);
  });
});
