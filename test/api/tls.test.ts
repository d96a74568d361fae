// HTTPS: the token endpoint and the API over TLS, on HTTP/1.1 and HTTP/2 (the port that baton
// connectors in service mode will dial).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:http2";
import { request } from "node:https";
import { after, before, describe, it } from "node:test";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/tls.js";

let server: TestServer;
let certs: TestCertificates;

before(async () => {
  certs = makeTestCertificates(tempDir("syncplane-tls-"));
  server = await startTestServer({ flags: { tlsCert: certs.certFile, tlsKey: certs.keyFile } });
});
after(async () => {
  await server.stop();
});

function https1(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method, ca: readFileSync(certs.caFile), headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("TLS", () => {
  it("serves https with a public URL derived from the listen address", () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.admin.clientId, /@127\.0\.0\.1:\d+\/syncplane$/);
  });

  it("exchanges a token and calls the API over HTTP/1.1", async () => {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: server.admin.clientId,
      client_secret: server.admin.clientSecret,
    }).toString();
    const token = await https1("POST", `${server.url}/auth/v1/token`, form, {
      "content-type": "application/x-www-form-urlencoded",
    });
    assert.equal(token.status, 200, token.body);
    const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    const apps = await https1("GET", `${server.url}/api/v1/apps`, undefined, {
      authorization: `Bearer ${accessToken}`,
    });
    assert.equal(apps.status, 200);
    assert.deepEqual(JSON.parse(apps.body), { list: [] });
  });

  it("speaks HTTP/2 on the same port", async () => {
    const session = connect(server.url, { ca: readFileSync(certs.caFile) });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>(
        (resolve, reject) => {
          const stream = session.request({ ":method": "GET", ":path": "/healthz" });
          let status = 0;
          let body = "";
          stream.on("response", (headers) => (status = Number(headers[":status"])));
          stream.on("data", (chunk: Buffer) => (body += chunk.toString()));
          stream.on("end", () => resolve({ status, body }));
          stream.on("error", reject);
          stream.end();
        },
      );
      assert.equal(status, 200);
      assert.deepEqual(JSON.parse(body), { status: "ok" });
      assert.equal(session.alpnProtocol, "h2");
    } finally {
      session.close();
    }
  });
});
