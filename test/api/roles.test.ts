// The role matrix on every /api route: who may call it (not 401/403) and who is refused (403),
// and that every route refuses a missing token (401).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAppAndConnector, startTestServer, type TestServer } from "../helpers/server.js";

type Role = "admin" | "operator" | "viewer" | "connector";
const ROLES: Role[] = ["admin", "operator", "viewer", "connector"];
const READERS: Role[] = ["admin", "operator", "viewer"];
const CONTROLLERS: Role[] = ["admin", "operator"];
const WRITERS: Role[] = ["admin"];

let server: TestServer;
let ids: { appId: string; connectorId: string; base: string };
let syncId: string;

before(async () => {
  server = await startTestServer();
  ids = await createAppAndConnector(server);
  const list = await server.call("GET", `${ids.base}/syncs`);
  syncId = ((list.body.list as { id: string }[])[0] as { id: string }).id;
});
after(async () => {
  await server.stop();
});

interface RouteCase {
  method: string;
  path: () => string;
  allowed: Role[];
  body?: unknown;
}

const ROUTES: RouteCase[] = [
  { method: "GET", path: () => "/api/v1/auth/introspect", allowed: ROLES },
  { method: "GET", path: () => "/api/v1/apps", allowed: READERS },
  { method: "POST", path: () => "/api/v1/apps", allowed: WRITERS, body: { displayName: "x" } },
  { method: "GET", path: () => `/api/v1/apps/${ids.appId}`, allowed: READERS },
  {
    method: "POST",
    path: () => `/api/v1/apps/${ids.appId}`,
    allowed: WRITERS,
    body: { app: { description: "d" } },
  },
  { method: "DELETE", path: () => "/api/v1/apps/no-such-app", allowed: WRITERS },
  { method: "GET", path: () => `/api/v1/apps/${ids.appId}/connectors`, allowed: READERS },
  { method: "GET", path: () => "/api/v1/connectors", allowed: READERS },
  {
    method: "POST",
    path: () => `/api/v1/apps/${ids.appId}/connectors/create`,
    allowed: WRITERS,
    body: { catalogId: "baton-service" },
  },
  {
    method: "POST",
    path: () => `/api/v1/apps/${ids.appId}/connectors`,
    allowed: WRITERS,
    body: { catalogId: "baton-service" },
  },
  { method: "GET", path: () => ids.base, allowed: READERS },
  {
    method: "POST",
    path: () => ids.base,
    allowed: WRITERS,
    body: { connector: { description: "d" }, updateMask: "description" },
  },
  {
    method: "DELETE",
    path: () => `/api/v1/apps/${ids.appId}/connectors/no-such-connector`,
    allowed: WRITERS,
  },
  { method: "POST", path: () => `${ids.base}/pause`, allowed: CONTROLLERS },
  { method: "POST", path: () => `${ids.base}/resume`, allowed: CONTROLLERS },
  { method: "POST", path: () => `${ids.base}/force_sync`, allowed: CONTROLLERS },
  { method: "POST", path: () => `${ids.base}/confirm_sync_valid/${syncId}`, allowed: CONTROLLERS },
  {
    method: "POST",
    path: () => `${ids.base}/schedule`,
    allowed: CONTROLLERS,
    body: { cron: { cronSpec: "@daily" } },
  },
  ...["pause", "resume", "force_sync"].map((action) => ({
    method: "POST",
    path: () => `/api/v1/bulk/connectors/${action}`,
    allowed: CONTROLLERS,
    // Read when the test runs (ids is set in before()): a dry run over the test's own app.
    get body() {
      return { selector: { appId: ids.appId }, dryRun: true };
    },
  })),
  { method: "GET", path: () => `${ids.base}/schedule`, allowed: READERS },
  {
    method: "GET",
    path: () => `${ids.base}/schedule/preview?cron_spec=%40daily`,
    allowed: READERS,
  },
  { method: "GET", path: () => `${ids.base}/syncs`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/syncs/${syncId}`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/syncs/${syncId}/download_url`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/syncs/${syncId}/log`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/syncs/${syncId}/diff`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/inventory/resource_types`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/inventory/resources`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/inventory/entitlements`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/inventory/grants`, allowed: READERS },
  { method: "GET", path: () => "/api/v1/audit_events", allowed: READERS },
  {
    method: "POST",
    path: () => `${ids.base}/provisioning/grant`,
    allowed: CONTROLLERS,
    body: { entitlementId: "e", principal: { resourceTypeId: "user", resourceId: "u" } },
  },
  {
    method: "POST",
    path: () => `${ids.base}/provisioning/revoke`,
    allowed: CONTROLLERS,
    body: { grantId: "g" },
  },
  { method: "GET", path: () => `${ids.base}/provisioning`, allowed: READERS },
  {
    method: "POST",
    path: () => "/api/v1/apps/connectors/credentials",
    allowed: WRITERS,
    body: { appId: "a", connectorId: "c" },
  },
  { method: "GET", path: () => `${ids.base}/provisioning/no-such-task`, allowed: READERS },
  { method: "GET", path: () => `${ids.base}/provisioning/no-such-task/log`, allowed: READERS },
  {
    method: "POST",
    path: () => `${ids.base}/provisioning/no-such-task/cancel`,
    allowed: CONTROLLERS,
    body: {},
  },
  { method: "GET", path: () => "/api/v1/webhooks", allowed: CONTROLLERS },
  {
    method: "POST",
    path: () => "/api/v1/webhooks",
    allowed: WRITERS,
    body: { url: "https://hooks.example/x", eventTypes: ["sync.held"] },
  },
  { method: "GET", path: () => "/api/v1/webhooks/no-such-webhook", allowed: CONTROLLERS },
  { method: "DELETE", path: () => "/api/v1/webhooks/no-such-webhook", allowed: WRITERS },
  {
    method: "POST",
    path: () => "/api/v1/webhooks/no-such-webhook/test",
    allowed: WRITERS,
    body: {},
  },
  {
    method: "GET",
    path: () => "/api/v1/webhooks/no-such-webhook/deliveries",
    allowed: CONTROLLERS,
  },
];

describe("role matrix", () => {
  for (const route of ROUTES) {
    it(`${route.method} ${route.path.toString().replace(/^\(\) => /, "")}`, async () => {
      const anonymous = await server.call(route.method, route.path(), {
        token: null,
        body: route.body,
      });
      assert.equal(anonymous.status, 401, "no token must be refused");
      for (const role of ROLES) {
        const response = await server.call(route.method, route.path(), {
          token: await server.token(role),
          body: route.body,
        });
        if (route.allowed.includes(role)) {
          assert.ok(
            ![401, 403].includes(response.status),
            `${role} should be allowed, got ${response.status} ${JSON.stringify(response.body)}`,
          );
        } else {
          assert.equal(response.status, 403, `${role} should be refused`);
          assert.equal(response.body.code, 7);
          assert.match(String(response.body.message), new RegExp(`role "${role}" may not do this`));
        }
      }
    });
  }

  it("covers every /api route the server serves", async () => {
    const openapi = await server.call("GET", "/openapi.json", { token: null });
    const served = Object.entries(openapi.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([path, methods]) =>
        Object.keys(methods)
          .filter((m) => m !== "head")
          .map((m) => `${m.toUpperCase()} ${path}`),
      );
    const covered = new Set(ROUTES.map((route) => `${route.method} ${templateOf(route.path())}`));
    for (const route of served) assert.ok(covered.has(route), `no role test for ${route}`);
  });
});

/** Turns a concrete test path back into the OpenAPI template it exercises. */
function templateOf(path: string): string {
  return path
    .replace(/\?.*$/, "")
    .replace(ids.base, "/api/v1/apps/{app_id}/connectors/{connector_id}")
    .replace(
      /\/api\/v1\/apps\/[^/]+\/connectors\/no-such-connector$/,
      "/api/v1/apps/{app_id}/connectors/{id}",
    )
    .replace(
      /\/api\/v1\/apps\/[^/]+\/connectors\/\{connector_id\}$/,
      "/api/v1/apps/{app_id}/connectors/{id}",
    )
    .replace(/confirm_sync_valid\/[^/]+$/, "confirm_sync_valid/{sync_lifecycle_id}")
    .replace(/provisioning\/no-such-task/, "provisioning/{task_id}")
    .replace(/syncs\/[^/]+\/(download_url|log|diff)$/, "syncs/{sync_id}/$1")
    .replace(/syncs\/[^/]+$/, "syncs/{sync_lifecycle_id}")
    .replace(/^\/api\/v1\/apps\/[^/{]+\/connectors/, "/api/v1/apps/{app_id}/connectors")
    .replace(/^\/api\/v1\/apps\/[^/{]+$/, "/api/v1/apps/{id}")
    .replace(/^\/api\/v1\/webhooks\/no-such-webhook/, "/api/v1/webhooks/{webhook_id}");
}
