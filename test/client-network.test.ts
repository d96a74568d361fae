// When a request gets no HTTP answer, the client says which server and why, instead of fetch's
// bare "fetch failed": refused connections, TLS against a plain-HTTP server, an untrusted
// certificate, a server that never answers (the request's time limit), a dropped connection.

import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type Socket } from "node:net";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { ConnectionError, Syncplane, SyncplaneError } from "../src/client/index.js";
import { networkError } from "../src/client/network.js";
import { tempDir } from "./helpers/server.js";
import { makeTestCertificates } from "./helpers/tls.js";

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers) await close();
});

/** Listens on a loopback port; closed after the file's tests. */
async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as { port: number }).port;
}

async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function failure(client: Syncplane): Promise<ConnectionError> {
  const error: unknown = await client.apps.list({}).then(
    () => assert.fail("the request should have failed"),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ConnectionError, `expected a ConnectionError, got ${String(error)}`);
  assert.ok(error instanceof SyncplaneError);
  return error;
}

const token = { bearerAuth: "t" };

describe("client errors when the server gives no answer", () => {
  it("names the URL and 'connection refused' (UNAVAILABLE)", async () => {
    const port = await closedPort();
    const error = await failure(
      new Syncplane({ serverURL: `http://127.0.0.1:${port}/`, security: token }),
    );
    assert.equal(error.codeName, "UNAVAILABLE");
    assert.equal(error.url, `http://127.0.0.1:${port}`);
    assert.match(error.message, new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${port}: `));
    assert.match(error.reason, /^connection refused/);
  });

  it("says the server speaks plain HTTP when the URL says https://", async () => {
    const port = await listen(createHttpServer((_req, res) => res.end("{}")));
    const error = await failure(
      new Syncplane({ serverURL: `https://127.0.0.1:${port}`, security: token }),
    );
    assert.equal(error.codeName, "UNAVAILABLE");
    assert.match(
      error.reason,
      /TLS handshake failed \(is the server serving plain HTTP\? use http:\/\/\)/,
    );
  });

  it("says the certificate is not trusted, and how to trust it", async () => {
    const certs = makeTestCertificates(tempDir());
    const port = await listen(
      createHttpsServer(
        { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) },
        (_req, res) => res.end("{}"),
      ),
    );
    const error = await failure(
      new Syncplane({ serverURL: `https://127.0.0.1:${port}`, security: token }),
    );
    assert.match(error.reason, /^TLS: .*NODE_EXTRA_CA_CERTS/);
  });

  it("gives up at the request's time limit (DEADLINE_EXCEEDED)", async () => {
    // Accepts the connection and never answers.
    const port = await listen(createTcpServer(() => undefined));
    const error = await failure(
      new Syncplane({ serverURL: `http://127.0.0.1:${port}`, security: token, timeoutMs: 300 }),
    );
    assert.equal(error.codeName, "DEADLINE_EXCEEDED");
    assert.match(error.reason, /^no answer within 300 ms \(the request's time limit\)$/);
  });

  it("says the server closed the connection", async () => {
    const port = await listen(createTcpServer((socket) => socket.destroy()));
    const error = await failure(
      new Syncplane({ serverURL: `http://127.0.0.1:${port}`, security: token }),
    );
    assert.equal(error.codeName, "UNAVAILABLE");
    assert.match(error.reason, /closed by the server|reset by the server/);
  });

  it("explains the same failures on the token request of client credentials", async () => {
    const port = await closedPort();
    const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
    const secret = `secret-token:test:v1:${Buffer.from(JSON.stringify(jwk)).toString("base64url")}`;
    const error = await failure(
      new Syncplane({
        serverURL: `http://127.0.0.1:${port}`,
        security: { clientID: `c@127.0.0.1:${port}/spc`, clientSecret: secret },
      }),
    );
    assert.equal(error.codeName, "UNAVAILABLE");
    assert.match(
      error.message,
      new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${port}: connection refused`),
    );
  });
});

describe("networkError", () => {
  const fetchFailed = (cause: object) => Object.assign(new TypeError("fetch failed"), { cause });

  it("maps DNS failures and unknown causes to a plain reason", () => {
    const dns = networkError(
      "http://nowhere.invalid:8080/api/v1/apps?x=1",
      fetchFailed({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND nowhere.invalid" }),
      1000,
    );
    assert.ok(dns instanceof ConnectionError);
    assert.equal(
      dns.message,
      "cannot reach http://nowhere.invalid:8080: unknown host (DNS lookup failed)",
    );
    const odd = networkError("http://h", fetchFailed({ code: "EWEIRD", message: "odd" }), 1000);
    assert.ok(odd instanceof ConnectionError);
    assert.equal(odd.reason, "EWEIRD: odd");
  });

  it("leaves errors that are not network failures alone", () => {
    const bug = new RangeError("x");
    assert.equal(networkError("http://h", bug, 1000), bug);
  });
});
