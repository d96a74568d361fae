// `serve --tls-self-signed`: a CA and a server certificate made on first start in the data dir,
// verified by Node's TLS (and, in test/interop/baton-service.test.ts, by baton's Go client), kept
// across restarts, and refused together with --tls-cert.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseServeConfig } from "../../src/config/config.js";
import { startTestServer, tempDir } from "../helpers/server.js";

function get(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

describe("serve --tls-self-signed", () => {
  it("makes a CA and a certificate once, and serves HTTPS that trusts it", async () => {
    const dataDir = tempDir("syncplane-self-signed-");
    const caFile = join(dataDir, "tls", "ca.pem");
    let server = await startTestServer({ dataDir, flags: { tlsSelfSigned: "true" } });
    assert.match(server.url, /^https:\/\//);
    const ca = readFileSync(caFile);
    assert.equal(await get(`${server.url}/healthz`, ca), 200);
    await server.stop({ keepData: true });
    server = await startTestServer({ dataDir, flags: { tlsSelfSigned: "true" } });
    try {
      assert.deepEqual(readFileSync(caFile), ca, "the CA is kept across restarts");
      assert.equal(await get(`${server.url}/healthz`, ca), 200);
      const localhost = server.url.replace("127.0.0.1", "localhost");
      assert.equal(await get(`${localhost}/healthz`, ca), 200, "localhost is in the certificate");
    } finally {
      await server.stop();
    }
  });

  it("refuses to combine with --tls-cert", () => {
    assert.throws(
      () => parseServeConfig({ tlsSelfSigned: "true", tlsCert: "/c.pem", tlsKey: "/k.pem" }, {}),
      /exclude each other/,
    );
  });
});
