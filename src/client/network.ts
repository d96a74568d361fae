// What went wrong when a request never got an HTTP answer: fetch reports only "fetch failed",
// with the reason buried in its cause chain. The client turns that into an error naming the URL
// and the reason a person can act on (refused, unknown host, TLS, time limit).

import { SyncplaneError } from "./errors.js";

/** gRPC codes for a request that got no answer. */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/** The client's default time limit for one request, response body included. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** A request that never got an HTTP response from the server at `url`. */
export class ConnectionError extends SyncplaneError {
  constructor(
    code: number,
    /** The server address the request went to (origin only, no path or query). */
    readonly url: string,
    /** Why, in a few words: "connection refused", "unknown host", … */
    readonly reason: string,
  ) {
    super(code, `cannot reach ${url}: ${reason}`, 0);
    this.name = "ConnectionError";
  }
}

// Node's error codes (system calls, DNS, undici and OpenSSL) → a reason in plain words.
const REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the server running and listening there?)",
  ECONNRESET: "the connection was reset by the server",
  EPIPE: "the connection was closed by the server",
  ENOTFOUND: "unknown host (DNS lookup failed)",
  EAI_AGAIN: "DNS lookup failed temporarily",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "the connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  UND_ERR_HEADERS_TIMEOUT: "the server did not answer in time",
  UND_ERR_BODY_TIMEOUT: "the server stopped sending its answer",
  UND_ERR_SOCKET: "the connection was closed by the server",
  EPROTO: "TLS handshake failed (is the server serving plain HTTP? use http://)",
  ERR_SSL_WRONG_VERSION_NUMBER:
    "TLS handshake failed (is the server serving plain HTTP? use http://)",
  DEPTH_ZERO_SELF_SIGNED_CERT:
    "TLS: the server's certificate is self-signed (trust it with NODE_EXTRA_CA_CERTS)",
  SELF_SIGNED_CERT_IN_CHAIN:
    "TLS: the server's certificate chain ends in an untrusted root (trust it with NODE_EXTRA_CA_CERTS)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "TLS: the server's certificate cannot be verified (trust its CA with NODE_EXTRA_CA_CERTS)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    "TLS: the server's certificate issuer is not trusted (trust its CA with NODE_EXTRA_CA_CERTS)",
  CERT_HAS_EXPIRED: "TLS: the server's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS: the server's certificate does not name this host",
};

function causes(error: unknown): Array<{ code?: unknown; name?: unknown; message?: unknown }> {
  const chain = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current && typeof current === "object"; depth++) {
    chain.push(current as { code?: unknown; name?: unknown; message?: unknown });
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * The error to raise for a fetch to `url` that threw `error` — a ConnectionError when the request
 * got no answer; anything else (a bug, an abort by the caller) is returned as it is.
 */
export function networkError(url: string | URL, error: unknown, timeoutMs: number): unknown {
  const origin = new URL(url).origin;
  for (const link of causes(error)) {
    if (link.name === "TimeoutError") {
      return new ConnectionError(
        DEADLINE_EXCEEDED,
        origin,
        `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${timeoutMs / 1000} s`} (the request's time limit)`,
      );
    }
    const code = typeof link.code === "string" ? link.code : "";
    const reason = REASONS[code];
    if (reason) {
      const timeout = code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
      return new ConnectionError(timeout ? DEADLINE_EXCEEDED : UNAVAILABLE, origin, reason);
    }
  }
  const chain = causes(error);
  if (chain[0] instanceof TypeError && chain[0].message === "fetch failed") {
    // A cause this table does not know: say what Node says, without the generic wrapper.
    const inner = chain[1];
    const detail = inner
      ? [inner.code, inner.message].filter((part) => typeof part === "string" && part).join(": ")
      : "";
    return new ConnectionError(UNAVAILABLE, origin, detail || "the request failed");
  }
  return error;
}

/** fetch with a time limit, raising a ConnectionError when there is no answer. */
export async function fetchOrExplain(
  fetchImpl: typeof fetch,
  url: string | URL,
  init: RequestInit,
  timeoutMs: number | null,
): Promise<Response> {
  try {
    const signal = timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs);
    return await fetchImpl(url, { ...init, signal });
  } catch (error) {
    throw networkError(url, error, timeoutMs ?? 0);
  }
}

/** The response's body as text, raising a ConnectionError if the answer is cut off. */
export async function readText(
  response: Response,
  url: string | URL,
  timeoutMs: number,
): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw networkError(url, error, timeoutMs);
  }
}
