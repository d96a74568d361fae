// Every operation of the OpenAPI document, sent what clients and fuzzers send at the edges:
// over-long and malformed path parameters, unknown query parameters, unknown methods, oversized
// bodies, proto-named and null fields. Each answer must be an error in grpc-gateway's shape
// ({code, message, details} with the HTTP status of the code, never echoing unbounded input), and
// nothing may change in the store.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_BODY_LIMIT } from "../../src/api/app.js";
import { createAppAndConnector, startTestServer, type TestServer } from "../helpers/server.js";

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
  readonly params: readonly string[];
  readonly hasBody: boolean;
  readonly form: boolean;
  readonly bodyProperties: readonly string[];
  readonly security: boolean;
}

// grpc-gateway's HTTP status for each gRPC code the edges can produce (405 is the one status not
// derived from the code: UNIMPLEMENTED for a known path with a method it does not serve).
const STATUS_OF_CODE: Record<number, number> = { 3: 400, 5: 404, 9: 400, 16: 401, 7: 403 };

let server: TestServer;
let operations: Operation[] = [];
let ids: Record<string, string> = {};
let before_: string;

/** Everything a request could have changed, as the API reads it. */
async function snapshot(): Promise<string> {
  const apps = await server.call("GET", "/api/v1/apps?page_size=500");
  const connectors = await server.call(
    "GET",
    `/api/v1/apps/${ids.app_id}/connectors?page_size=500`,
  );
  const audit = await server.call("GET", "/api/v1/audit_events?page_size=500");
  return JSON.stringify({ apps: apps.body, connectors: connectors.body, audit: audit.body });
}

function pathFor(op: Operation, override: Record<string, string> = {}): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => override[name] ?? ids[name] ?? "x");
}

async function send(
  method: string,
  path: string,
  init: { body?: string; contentType?: string; auth?: boolean } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (init.auth !== false) headers.authorization = `Bearer ${await server.token("admin")}`;
  if (init.body !== undefined) headers["content-type"] = init.contentType ?? "application/json";
  const response = await fetch(server.url + path, { method, headers, body: init.body });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Asserts the grpc-gateway error shape, the code and the status; returns the message. */
function assertError(
  op: Operation,
  answer: { status: number; text: string },
  code: number,
  status = STATUS_OF_CODE[code],
): string {
  const where = `${op.method} ${op.path}: ${answer.status} ${answer.text.slice(0, 300)}`;
  assert.equal(answer.status, status, where);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  const keys = Object.keys(body).sort();
  // The token endpoint also answers in RFC 6749's shape, beside grpc-gateway's.
  const expected =
    op.path === "/auth/v1/token"
      ? ["code", "details", "error", "error_description", "message"]
      : ["code", "details", "message"];
  assert.deepEqual(keys, expected, where);
  assert.equal(body.code, code, where);
  assert.deepEqual(body.details, [], where);
  assert.equal(typeof body.message, "string", where);
  assert.ok((body.message as string).length < 400, `a short message: ${where}`);
  return body.message as string;
}

before(async () => {
  server = await startTestServer();
  const { appId, connectorId } = await createAppAndConnector(server);
  ids = {
    app_id: appId,
    id: appId,
    connector_id: connectorId,
    sync_id: "3Msn0RqVYldRZvo4Fv69OIk6Cp3",
    sync_lifecycle_id: "3Msn0RqVYldRZvo4Fv69OIk6Cp3",
  };
  const document = (await server.call("GET", "/openapi.json", { token: null })).body as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!["get", "post", "delete"].includes(method)) continue;
      const content = (operation.requestBody as { content?: Record<string, { schema?: unknown }> })
        ?.content;
      const json = content?.["application/json"]?.schema as
        | { properties?: Record<string, unknown>; oneOf?: Array<{ properties?: object }> }
        | undefined;
      const properties = json?.properties ?? json?.oneOf?.[0]?.properties ?? {};
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: String(operation.operationId),
        params: [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string),
        hasBody: content !== undefined,
        form: content?.["application/x-www-form-urlencoded"] !== undefined,
        bodyProperties: Object.keys(properties),
        security: Array.isArray(operation.security) && operation.security.length > 0,
      });
    }
  }
  operations = operations.sort((a, b) => a.operationId.localeCompare(b.operationId));
  before_ = await snapshot();
});

after(async () => {
  await server.stop();
});

describe("every operation at the edges", () => {
  it("finds the whole document", () => {
    assert.ok(operations.length >= 31, `${operations.length} operations`);
    assert.ok(operations.filter((op) => op.params.length > 0).length >= 20);
  });

  it("refuses over-long path parameters in the error shape, without echoing them", async () => {
    for (const op of operations) {
      for (const param of op.params) {
        for (const length of [65, 5_000]) {
          const long = "0".repeat(length);
          const answer = await send(op.method, pathFor(op, { [param]: long }), {
            body: op.hasBody && !op.form ? "{}" : undefined,
          });
          const message = assertError(op, answer, 3);
          assert.ok(!answer.text.includes("0".repeat(100)), `echoed: ${op.path} ${message}`);
        }
      }
    }
  });

  it("refuses malformed percent-encoding in the path", async () => {
    for (const op of operations.filter((o) => o.params.length > 0)) {
      const answer = await send(op.method, pathFor(op, { [op.params[0] as string]: "%FF%FE" }), {
        body: op.hasBody && !op.form ? "{}" : undefined,
      });
      assertError(op, answer, 3);
    }
  });

  it("refuses unknown query parameters, naming them, on every method", async () => {
    for (const op of operations) {
      const answer = await send(op.method, `${pathFor(op)}?dry_run=true`, {
        body: op.hasBody ? (op.form ? "grant_type=client_credentials" : "{}") : undefined,
        contentType: op.form ? "application/x-www-form-urlencoded" : undefined,
      });
      const message = assertError(op, answer, 3);
      assert.match(message, /unknown query parameter "dry_run"/, `${op.method} ${op.path}`);
    }
  });

  it("answers 405 with Allow for methods a path does not serve", async () => {
    const byPath = new Map<string, string[]>();
    for (const op of operations) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op.method]);
    for (const [path, methods] of byPath) {
      const op = operations.find((o) => o.path === path) as Operation;
      for (const method of ["PUT", "PATCH", "OPTIONS", "QUERY"]) {
        const answer = await send(method, pathFor(op));
        assertError(op, answer, 12, 405);
        const allow = (answer.headers.get("allow") ?? "").split(", ");
        for (const served of methods) assert.ok(allow.includes(served), `${path}: ${allow}`);
        for (const other of allow) {
          assert.ok(
            methods.includes(other) || (other === "HEAD" && methods.includes("GET")),
            `${path} advertises ${other}, which the document does not have`,
          );
        }
      }
    }
  });

  it("refuses bodies over the limit", async () => {
    const huge = JSON.stringify({ displayName: "x".repeat(DEFAULT_BODY_LIMIT + 10) });
    for (const op of operations.filter((o) => o.hasBody && !o.form)) {
      const answer = await send(op.method, pathFor(op), { body: huge });
      const message = assertError(op, answer, 3);
      assert.match(message, /larger than the \d+-byte limit/);
    }
  });

  it("reads proto-named and null fields as the same fields (never as unknown ones)", async () => {
    // Sent to objects that do not exist: a body the validator accepts reaches the handler, which
    // answers NOT_FOUND; a field it did not know would be INVALID_ARGUMENT. (Proto names and
    // null on objects that exist are tested per operation in resources and sync-controls.)
    const missing = "3Msn0000000000000000000000000".slice(0, 27);
    const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const tested = operations.filter((o) => o.hasBody && !o.form && o.params.length > 0);
    assert.ok(tested.length >= 8, `${tested.length} operations with a body and an id`);
    for (const op of tested) {
      const override = Object.fromEntries(op.params.map((name) => [name, missing]));
      // Every declared field under its proto name, each null: protojson reads that as unset.
      const body = Object.fromEntries(op.bodyProperties.map((name) => [snake(name), null]));
      const answer = await send(op.method, pathFor(op, override), { body: JSON.stringify(body) });
      const where = `${op.method} ${op.path}: ${answer.text}`;
      if (answer.status === 404) {
        assertError(op, answer, 5);
      } else {
        // Refused for a required field left unset — never for an unknown or mistyped one.
        const message = assertError(op, answer, 3);
        assert.match(message, /is required/, where);
      }
    }
  });

  it("refuses the inputs the contract review found, with the limit and without echoing them", async () => {
    const base = `/api/v1/apps/${ids.app_id}/connectors/${ids.connector_id}`;
    const op = operations.find((o) => o.path.endsWith("/schedule") && o.method === "POST");
    assert.ok(op);
    const hugeCron = await send("POST", `${base}/schedule`, {
      body: JSON.stringify({ cron: { cronSpec: `0 * * * *${" ".repeat(141_000)}x` } }),
    });
    assert.match(
      assertError(op, hugeCron, 3),
      /cronSpec" is too long: 141010 characters, at most 256/,
    );
    const longZone = await send("POST", `${base}/schedule`, {
      body: JSON.stringify({ cron: { cronSpec: "0 * * * *", timezone: "Z".repeat(5000) } }),
    });
    assertError(op, longZone, 3);
    assert.ok(!longZone.text.includes("Z".repeat(60)), longZone.text);
    const validate = await send("POST", `${base}/schedule?validate_only=true`, {
      body: JSON.stringify({ cron: { cronSpec: "5 5 * * *" } }),
    });
    assert.match(assertError(op, validate, 3), /unknown query parameter "validate_only"/);
    const emptyBearer = await fetch(`${server.url}/api/v1/apps`, {
      headers: { authorization: "Bearer " },
    });
    const emptyBearerOp = { ...op, path: "/api/v1/apps" };
    assert.match(
      assertError(
        emptyBearerOp,
        { status: emptyBearer.status, text: await emptyBearer.text() },
        16,
      ),
      /bearer token is empty/,
    );
  });

  it("changed nothing in the store", async () => {
    assert.equal(await snapshot(), before_);
  });
});

describe("proto names and null on objects that exist", () => {
  it("creates, updates and schedules with proto names, and reads null as unset", async () => {
    const app = await server.call("POST", "/api/v1/apps", {
      body: { display_name: "Proto named", description: null },
    });
    assert.equal(app.status, 200, JSON.stringify(app.body));
    const created = app.body.app as { id: string; displayName: string; description?: string };
    assert.equal(created.displayName, "Proto named");
    assert.equal(created.description, undefined);

    const renamed = await server.call("POST", `/api/v1/apps/${created.id}`, {
      body: { app: { display_name: "Renamed" }, update_mask: "display_name" },
    });
    assert.equal((renamed.body.app as { displayName: string }).displayName, "Renamed");

    const { base } = await createAppAndConnector(server);
    const scheduled = await server.call("POST", `${base}/schedule`, {
      body: { cron: { cron_spec: "15 4 * * *", timezone: null } },
    });
    assert.equal(scheduled.status, 200, JSON.stringify(scheduled.body));
    const read = await server.call("GET", `${base}/schedule?count=1`);
    assert.deepEqual(read.body.cron, { cronSpec: "15 4 * * *", timezone: "UTC" });
    const paused = await server.call("POST", `${base}/pause`, { body: { note: null } });
    assert.equal(paused.status, 200);

    const both = await server.call("POST", "/api/v1/apps", {
      body: { displayName: "a", display_name: "b" },
    });
    assert.equal(both.status, 400);
    assert.match(String(both.body.message), /given twice, as "displayName" and "display_name"/);
  });
});
