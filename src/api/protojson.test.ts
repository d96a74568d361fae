import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  acceptNull,
  forbiddenKey,
  jsonName,
  ProtoJson,
  protoName,
  type JsonSchema,
} from "./protojson.js";

const Schedule: JsonSchema = {
  $id: "Schedule",
  type: "object",
  properties: { cronSpec: { type: "string" }, timezone: { type: "string" } },
  required: ["cronSpec"],
};
const FileConfig: JsonSchema = {
  type: "object",
  properties: { "@type": { const: "type/File" }, filePath: { type: "string" } },
};
const BatonConfig: JsonSchema = {
  type: "object",
  properties: {
    "@type": { const: "type/Baton" },
    timeoutSeconds: { type: "integer" },
    env: { type: "object", additionalProperties: { type: "string" } },
  },
};
const Request: JsonSchema = {
  type: "object",
  properties: {
    displayName: { type: "string" },
    cron: { $ref: "Schedule#" },
    userIds: { type: "array", items: { type: "string" } },
    config: { oneOf: [FileConfig, BatonConfig], discriminator: { propertyName: "@type" } },
  },
};
const CreateRequest: JsonSchema = {
  oneOf: [
    { type: "object", properties: { catalogId: { const: "file" }, config: FileConfig } },
    { type: "object", properties: { catalogId: { const: "baton" }, config: BatonConfig } },
  ],
  discriminator: { propertyName: "catalogId" },
};
const proto = new ProtoJson((id) => (id === "Schedule" ? Schedule : undefined));

describe("ProtoJson bodies", () => {
  it("maps names both ways", () => {
    assert.equal(protoName("cronSpec"), "cron_spec");
    assert.equal(jsonName("page_size"), "pageSize");
  });

  it("accepts proto names anywhere the schema declares a field, through $ref and unions", () => {
    assert.deepEqual(
      proto.body(
        {
          display_name: "HR",
          cron: { cron_spec: "0 * * * *" },
          config: { "@type": "type/Baton", timeout_seconds: 5, env: { API_KEY: "k" } },
        },
        Request,
      ),
      {
        displayName: "HR",
        cron: { cronSpec: "0 * * * *" },
        config: { "@type": "type/Baton", timeoutSeconds: 5, env: { API_KEY: "k" } },
      },
    );
  });

  it("never renames map keys or undeclared fields (the validator names those)", () => {
    assert.deepEqual(
      proto.body(
        { config: { "@type": "type/Baton", env: { my_key: "v" } }, extra_field: 1 },
        Request,
      ),
      {
        config: { "@type": "type/Baton", env: { my_key: "v" } },
        extra_field: 1,
      },
    );
  });

  it("refuses the same field under both spellings", () => {
    assert.throws(
      () => proto.body({ displayName: "a", display_name: "b" }, Request),
      /field "displayName" is given twice, as "displayName" and "display_name"; send one/,
    );
  });

  it("drops null for optional fields, nested ones included, and keeps it for required ones", () => {
    assert.deepEqual(
      proto.body(
        {
          displayName: null,
          cron: { cronSpec: null, timezone: null },
          config: { "@type": "type/Baton", timeoutSeconds: null },
        },
        Request,
      ),
      { cron: { cronSpec: null }, config: { "@type": "type/Baton" } },
    );
  });

  it("reads a union by the branch its discriminator names, under either spelling", () => {
    const read = (body: object) => proto.body(body, CreateRequest);
    assert.deepEqual(
      read({ catalogId: "baton", config: { "@type": "type/Baton", timeout_seconds: null } }),
      {
        catalogId: "baton",
        config: { "@type": "type/Baton" },
      },
    );
    assert.deepEqual(read({ catalog_id: "file", config: { file_path: "/x" } }), {
      catalogId: "file",
      config: { filePath: "/x" },
    });
  });
});

describe("ProtoJson queries", () => {
  const schema: JsonSchema = {
    type: "object",
    properties: {
      page_size: { type: "integer" },
      page_token: { type: "string" },
      verbose: { type: "boolean" },
    },
  };

  it("accepts proto and lowerCamelCase names and types the values", () => {
    assert.deepEqual(proto.query({ pageSize: "10", page_token: "abc", verbose: "true" }, schema), {
      page_size: 10,
      page_token: "abc",
      verbose: true,
    });
  });

  it("refuses unknown, repeated and mistyped parameters, naming them", () => {
    assert.throws(
      () => proto.query({ dry_run: "true" }, schema),
      /unknown query parameter "dry_run"; this operation takes page_size, page_token, verbose/,
    );
    assert.throws(
      () => proto.query({ dry_run: "true" }, undefined),
      /unknown query parameter "dry_run": this operation takes none/,
    );
    assert.throws(
      () => proto.query({ page_size: ["1", "2"] }, schema),
      /"page_size" is given more than once/,
    );
    assert.throws(
      () => proto.query({ page_size: "1", pageSize: "2" }, schema),
      /"page_size" is given more than once/,
    );
    assert.throws(
      () => proto.query({ page_size: "ten" }, schema),
      /"page_size" must be a whole number, got "ten"/,
    );
    assert.throws(() => proto.query({ verbose: "yes" }, schema), /"verbose" must be true or false/);
  });
});

describe("acceptNull", () => {
  it("lets every optional field be null, not required ones, and points named schemas at their $id", () => {
    const out = acceptNull({
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" }, s: Schedule },
      required: ["a"],
    });
    const properties = out.properties as Record<string, JsonSchema>;
    assert.deepEqual(properties.a, { type: "string" });
    assert.deepEqual(properties.b, { anyOf: [{ type: "string" }, { type: "null" }] });
    assert.deepEqual(properties.s, { anyOf: [{ $ref: "Schedule#" }, { type: "null" }] });
    assert.equal(out.type, "object", "a body with a required field cannot be null");
    assert.deepEqual(acceptNull({ type: "object", properties: {} }).type, ["object", "null"]);
  });
});

describe("forbiddenKey", () => {
  it("finds __proto__ and constructor at any depth", () => {
    assert.equal(forbiddenKey(JSON.parse('{"a":[{"__proto__":{"x":1}}]}')), "__proto__");
    assert.equal(forbiddenKey({ a: { constructor: 1 } }), "constructor");
    assert.equal(forbiddenKey({ a: [1, "x", null] }), null);
  });
});
