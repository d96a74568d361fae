import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RouteTable } from "./route-table.js";

describe("RouteTable", () => {
  const table = new RouteTable();
  table.add("POST", "/api/v1/apps/:app_id/connectors/create");
  table.add("GET", "/api/v1/apps/:app_id/connectors/:id");
  table.add("DELETE", "/api/v1/apps/:app_id/connectors/:id");
  table.add("HEAD", "/api/v1/apps/:app_id/connectors/:id");
  table.add("POST", "/api/v1/apps/:app_id/connectors/:id");

  it("prefers a concrete segment over a parameter, as OpenAPI does", () => {
    assert.deepEqual(table.resolve("/api/v1/apps/a1/connectors/create"), {
      template: "/api/v1/apps/:app_id/connectors/create",
      methods: ["POST"],
    });
  });

  it("lists a path's methods in the usual Allow order", () => {
    assert.deepEqual(table.resolve("/api/v1/apps/a1/connectors/c1")?.methods, [
      "GET",
      "HEAD",
      "POST",
      "DELETE",
    ]);
  });

  it("answers null for paths it does not serve (a 404, not a 405)", () => {
    assert.equal(table.resolve("/api/v1/apps/a1/connectors"), null);
    assert.equal(table.resolve("/api/v1/apps/a1/connectors/"), null, "an empty id is no id");
    assert.equal(table.resolve("/api/v1/apps/a1/connectors/c1/extra"), null);
  });
});
