// The C1 credential formats, shared by the server (auth) and the client SDK:
//
//   client id      <name>@<host[:port]>/<suffix>   — clients send their token request to the host
//                                                    named here, and use it as the JWT audience
//   client secret  secret-token:<issuer>:v1:<base64url(JSON of an Ed25519 private JWK)>

export interface PrivateJwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
  readonly d: string;
}

/** The private JWK inside a client secret, or an error saying what is wrong with its shape. */
export function parseClientSecret(secret: string): PrivateJwk {
  const parts = secret.split(":");
  if (parts.length !== 4 || parts[0] !== "secret-token" || parts[2] !== "v1") {
    throw new Error("client secret must look like secret-token:<issuer>:v1:<key>");
  }
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(decodeBase64Url(parts[3] ?? "")) as Record<string, unknown>;
  } catch {
    throw new Error("client secret key is not base64url-encoded JSON");
  }
  if (
    jwk.kty !== "OKP" ||
    jwk.crv !== "Ed25519" ||
    typeof jwk.x !== "string" ||
    typeof jwk.d !== "string"
  ) {
    throw new Error("client secret key is not an Ed25519 private JWK");
  }
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d };
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

/** host[:port] named by a client id, or null when it has no "@". */
export function clientIdHostPort(clientId: string): string | null {
  const at = clientId.indexOf("@");
  if (at < 0) return null;
  const rest = clientId.slice(at + 1);
  const slash = rest.indexOf("/");
  return slash < 0 ? rest : rest.slice(0, slash);
}

/** The host (without port) that a client id names, which clients use as the JWT audience. */
export function clientIdHost(clientId: string): string | null {
  const hostPort = clientIdHostPort(clientId);
  return hostPort === null ? null : hostWithoutPort(hostPort);
}

export function hostWithoutPort(hostPort: string): string {
  if (hostPort.startsWith("[")) return hostPort.slice(0, hostPort.indexOf("]") + 1);
  const colon = hostPort.lastIndexOf(":");
  return colon < 0 ? hostPort : hostPort.slice(0, colon);
}
