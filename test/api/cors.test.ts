// Browser calls from other web origins (serve --cors-origins), over real HTTP: an allowed
// origin's preflight and answers carry the CORS headers; any other origin is refused by name;
// without the flag nothing changes.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConfigError, parseCorsOrigins } from "../../src/config/config.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const ADMIN_UI = "https://admin.example.com";

let server: TestServer;
let plain: TestServer;
before(async () => {
  server = await startTestServer({
    flags: { roles: "api", corsOrigins: `${ADMIN_UI}, http://localhost:5173` },
  });
  plain = await startTestServer({ flags: { roles: "api" } });
});
after(async () => {
  await server.stop();
  await plain.stop();
});

const preflight = (target: TestServer, path: string, origin: string) =>
  fetch(target.url + path, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });

describe("CORS", () => {
  it("answers an allowed origin's preflight without a token, on any API path", async () => {
    for (const path of ["/api/v1/apps", "/auth/v1/token", "/api/v1/bulk/connectors/pause"]) {
      const response = await preflight(server, path, ADMIN_UI);
      assert.equal(response.status, 204, path);
      assert.equal(response.headers.get("access-control-allow-origin"), ADMIN_UI);
      assert.match(response.headers.get("access-control-allow-methods") ?? "", /POST/);
      assert.match(response.headers.get("access-control-allow-headers") ?? "", /authorization/);
      assert.equal(response.headers.get("access-control-max-age"), "600");
      assert.equal(response.headers.get("vary"), "Origin");
    }
  });

  it("lets an allowed origin read answers, errors included, and no other origin", async () => {
    const allowed = await server.call("GET", "/api/v1/apps", {
      headers: { origin: "http://localhost:5173" },
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "http://localhost:5173");
    assert.match(allowed.headers.get("access-control-expose-headers") ?? "", /x-request-id/);
    const denied = await server.call("GET", "/api/v1/apps", {
      token: null,
      headers: { origin: ADMIN_UI },
    });
    assert.equal(denied.status, 401);
    assert.equal(
      denied.headers.get("access-control-allow-origin"),
      ADMIN_UI,
      "its error is readable",
    );
    const other = await server.call("GET", "/api/v1/apps", {
      headers: { origin: "https://evil.example.net" },
    });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.equal(other.headers.get("vary"), "Origin");
  });

  it("refuses another origin's preflight, naming the origin and the flag", async () => {
    const response = await preflight(server, "/api/v1/apps", "https://evil.example.net");
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    const body = (await response.json()) as { code: number; message: string };
    assert.equal(body.code, 7);
    assert.match(
      body.message,
      /origin https:\/\/evil\.example\.net may not call this API.*--cors-origins/,
    );
  });

  it("changes nothing without --cors-origins", async () => {
    const response = await plain.call("GET", "/api/v1/apps", { headers: { origin: ADMIN_UI } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    assert.equal(response.headers.get("vary"), null);
    assert.notEqual((await preflight(plain, "/api/v1/apps", ADMIN_UI)).status, 204);
  });

  it("takes exact origins only", () => {
    assert.deepEqual(parseCorsOrigins(undefined), []);
    assert.deepEqual(parseCorsOrigins(` ${ADMIN_UI},${ADMIN_UI} ,`), [ADMIN_UI]);
    for (const bad of [
      "*",
      "https://admin.example.com/",
      "https://a.example/path",
      "ftp://x",
      "admin",
    ]) {
      assert.throws(
        () => parseCorsOrigins(bad),
        (error: unknown) =>
          error instanceof ConfigError &&
          /--cors-origins: .* is not a web origin/.test(error.message),
        bad,
      );
    }
  });
});
