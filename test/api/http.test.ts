// HTTP edge behaviour: unknown routes, wrong methods, bodies that cannot be read, request ids,
// health, the OpenAPI document, and restart persistence.

import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createAppAndConnector,
  startTestServer,
  tempDir,
  type TestServer,
} from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

function isError(
  response: { status: number; body: Json },
  status: number,
  code: number,
  message: RegExp,
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ["code", "details", "message"]);
  assert.equal(response.body.code, code);
  assert.match(response.body.message, message);
  assert.doesNotMatch(response.body.message, /at .*\.(ts|js):\d+|node_modules|SQLITE|stack/i);
}

describe("routing errors", () => {
  it("404 for unknown routes, in the grpc-gateway shape", async () => {
    isError(
      await server.call("GET", "/api/v1/nothing-here"),
      404,
      5,
      /no such route: GET \/api\/v1\/nothing-here/,
    );
    isError(await server.call("GET", "/nope", { token: null }), 404, 5, /no such route/);
  });

  it("405 with Allow for a known path and the wrong method", async () => {
    const { base } = await createAppAndConnector(server);
    const response = await server.call("GET", `${base}/pause`);
    isError(response, 405, 12, /method GET is not allowed here; use POST/);
    assert.equal(response.headers.get("allow"), "POST");
    const put = await server.call("PUT", "/api/v1/apps", { body: {} });
    assert.equal(put.status, 405);
    assert.match(String(put.headers.get("allow")), /GET.*POST|POST.*GET/);
  });
});

describe("bodies that cannot be read", () => {
  it("malformed JSON", async () => {
    const { base } = await createAppAndConnector(server);
    const response = await server.call("POST", `${base}/schedule`, {
      rawBody: '{"cron": {"cronSpec": "@daily",}}',
      headers: { "content-type": "application/json" },
    });
    isError(response, 400, 3, /request body is not valid JSON/);
  });

  it("white space JSON does not have (a form feed, a non-breaking space) is not an empty body", async () => {
    const { base } = await createAppAndConnector(server);
    for (const rawBody of ["\f", "\u00a0", " \f "]) {
      const response = await server.call("POST", `${base}/pause`, {
        rawBody,
        headers: { "content-type": "application/json" },
      });
      isError(response, 400, 3, /request body is not valid JSON/);
    }
    // JSON's own white space is.
    const spaces = await server.call("POST", `${base}/pause`, {
      rawBody: " \t\r\n",
      headers: { "content-type": "application/json" },
    });
    assert.equal(spaces.status, 200);
  });

  it("prototype poisoning", async () => {
    const response = await server.call("POST", "/api/v1/apps", {
      rawBody: '{"displayName":"x","__proto__":{"admin":true}}',
      headers: { "content-type": "application/json" },
    });
    isError(response, 400, 3, /must not use the key "__proto__"/);
  });

  it("oversized bodies", async () => {
    const response = await server.call("POST", "/api/v1/apps", {
      body: { displayName: "x".repeat(2 * 1024 * 1024) },
    });
    isError(response, 400, 3, /larger than the 1048576-byte limit/);
  });

  it("a form body outside the token endpoint", async () => {
    const response = await server.call("POST", "/api/v1/apps", {
      rawBody: "displayName=formapp",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    isError(response, 400, 3, /send the request body as application\/json/);
  });

  it("an empty body sent as application/json (what the C1 TypeScript SDK does)", async () => {
    const { base } = await createAppAndConnector(server);
    const response = await server.call("POST", `${base}/force_sync`, {
      rawBody: "",
      headers: { "content-type": "application/json" },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {});
  });

  it("a body that is not JSON", async () => {
    const response = await server.call("POST", "/api/v1/apps", {
      rawBody: "displayName=x",
      headers: { "content-type": "text/plain" },
    });
    isError(
      response,
      400,
      3,
      /unsupported Content-Type; send the request body as application\/json/,
    );
  });

  it("wrong types in nested fields", async () => {
    const { base } = await createAppAndConnector(server);
    isError(
      await server.call("POST", base, {
        body: { connector: { syncConfig: { syncResourceTypeIds: "user" } } },
      }),
      400,
      3,
      /"connector.syncConfig.syncResourceTypeIds" must be a list/,
    );
    isError(
      await server.call("POST", base, { body: { connector: { disableCheckBadSync: "yes" } } }),
      400,
      3,
      /must be a boolean/,
    );
  });
});

describe("request ids", () => {
  it("echoes a valid X-Request-Id and makes one otherwise", async () => {
    const given = await server.call("GET", "/api/v1/apps", {
      headers: { "x-request-id": "trace-123" },
    });
    assert.equal(given.headers.get("x-request-id"), "trace-123");
    const made = await server.call("GET", "/api/v1/apps", {
      headers: { "x-request-id": "bad id with spaces" },
    });
    assert.match(String(made.headers.get("x-request-id")), /^[0-9A-Za-z]{27}$/);
  });
});

describe("health", () => {
  it("answers without a token", async () => {
    assert.deepEqual((await server.call("GET", "/healthz", { token: null })).body, {
      status: "ok",
    });
    assert.deepEqual((await server.call("GET", "/readyz", { token: null })).body, {
      status: "ready",
    });
  });
});

describe("OpenAPI", () => {
  it("describes every route with the C1 operation ids", async () => {
    const response = await server.call("GET", "/openapi.json", { token: null });
    assert.equal(response.status, 200);
    const doc = response.body as Json;
    assert.equal(doc.openapi, "3.1.0");
    const operations = new Map<string, string>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, operation] of Object.entries(methods))
        operations.set(`${method.toUpperCase()} ${path}`, operation.operationId);
    }
    const seeds: Record<string, string> = {
      "POST /api/v1/apps/{app_id}/connectors/{connector_id}/pause":
        "c1.api.app.v1.ConnectorService.PauseSync",
      "POST /api/v1/apps/{app_id}/connectors/{connector_id}/resume":
        "c1.api.app.v1.ConnectorService.ResumeSync",
      "POST /api/v1/apps/{app_id}/connectors/{connector_id}/force_sync":
        "c1.api.app.v1.ConnectorService.ForceSync",
      "POST /api/v1/apps/{app_id}/connectors/{connector_id}/confirm_sync_valid/{sync_lifecycle_id}":
        "c1.api.app.v1.ConnectorService.ConfirmSyncValid",
      "POST /api/v1/apps/{app_id}/connectors/{connector_id}/schedule":
        "c1.api.app.v1.ConnectorService.UpdateConnectorSchedule",
    };
    for (const [route, operationId] of Object.entries(seeds))
      assert.equal(operations.get(route), operationId, route);
    assert.ok(doc.components.schemas["c1.api.app.v1.Connector"].properties.canResumeSync);
    assert.equal(
      doc.components.securitySchemes.oauth.flows.clientCredentials.tokenUrl,
      "/auth/v1/token",
    );
    assert.doesNotMatch(JSON.stringify(doc), /"~kind"/);
  });

  it("matches the C1 subset's operation ids and paths", async (t) => {
    const subset = join(import.meta.dirname, "../../../shared/reference/c1-api-subset.yaml");
    if (!existsSync(subset)) {
      t.skip(`the C1 API subset is not beside the checkout (${subset})`);
      return;
    }
    const text = readFileSync(subset, "utf8");
    const doc = (await server.call("GET", "/openapi.json", { token: null })).body;
    const served = new Map<string, string>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const operation of Object.values(methods)) served.set(operation.operationId, path);
    }
    const pathOf = new Map<string, string>();
    let currentPath = "";
    for (const line of text.split("\n")) {
      const path = /^ {2}(\/\S+):$/.exec(line);
      if (path) currentPath = path[1] as string;
      const op = /^ {6}operationId: (\S+)$/.exec(line);
      if (op) pathOf.set(op[1] as string, currentPath);
    }
    const implemented = [...pathOf.keys()].filter((id) => served.has(id));
    assert.ok(implemented.length >= 15, `only ${implemented.length} C1 operations served`);
    for (const id of implemented) assert.equal(served.get(id), pathOf.get(id), id);
  });
});

describe("restart persistence", () => {
  it("keeps apps, connectors, holds, schedules, syncs, credentials and audit events", async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ dataDir });
    const { appId, connectorId, base } = await createAppAndConnector(first);
    await first.call("POST", `${base}/schedule`, {
      body: { cron: { cronSpec: "15 3 * * *", timezone: "Asia/Tokyo" } },
    });
    await first.call("POST", `${base}/pause`, { body: { note: "before restart" } });
    const operator = await first.credential("operator");
    const connectorBefore = (await first.call("GET", base)).body;
    const syncsBefore = (await first.call("GET", `${base}/syncs`)).body;
    const credentialFile = readFileSync(join(dataDir, "admin-credential.json"), "utf8");
    assert.equal(statSync(join(dataDir, "admin-credential.json")).mode & 0o777, 0o600);
    await first.stop({ keepData: true });

    const second = await startTestServer({ dataDir });
    try {
      assert.equal(
        readFileSync(join(dataDir, "admin-credential.json"), "utf8"),
        credentialFile,
        "not rewritten",
      );
      assert.deepEqual((await second.call("GET", base)).body, connectorBefore);
      assert.deepEqual((await second.call("GET", `${base}/syncs`)).body, syncsBefore);
      assert.equal(
        ((await second.call("GET", `/api/v1/apps/${appId}`)).body.app as Json).id,
        appId,
      );
      const forced = await second.call("POST", `${base}/force_sync`);
      assert.equal(forced.status, 400, "still paused");
      const token = await fetch(`${second.url}/auth/v1/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: operator.clientId,
          client_secret: operator.clientSecret,
        }),
      });
      assert.equal(token.status, 200);
      const audit = await second.call("GET", `/api/v1/audit_events?object_id=${connectorId}`);
      assert.ok((audit.body.list as Json[]).length >= 3);
    } finally {
      await second.stop();
    }
  });
});
