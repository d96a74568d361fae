// The built-in file connector against real files.

import assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FileConnector } from "../../src/connectors/builtin/file.js";
import { ConnectorError, type SyncSnapshot } from "../../src/connectors/runner.js";
import { tempDir } from "../helpers/server.js";

const signal = new AbortController().signal;

const INVENTORY = {
  resourceTypes: [
    { id: "user", displayName: "User", traits: ["USER"] },
    { id: "group", displayName: "Group", traits: ["GROUP"] },
    { id: "secret", displayName: "Secret", skipDataDropCheck: true },
  ],
  resources: [
    { resourceType: "user", id: "u1", displayName: "Alice" },
    { resourceType: "user", id: "u2", displayName: "Bob" },
    { resourceType: "group", id: "g1", displayName: "Admins" },
  ],
  entitlements: [
    { resourceType: "group", resourceId: "g1", slug: "member", displayName: "Admins member" },
  ],
  grants: [{ entitlement: "group:g1:member", principal: { resourceType: "user", id: "u1" } }],
};

const YAML = `# the demo directory
resourceTypes:
  - id: user
    displayName: User
    traits: [USER]
  - id: group
    traits: [GROUP]
resources:
  - {resourceType: user, id: u1, displayName: Alice}
  - {resourceType: user, id: u2, displayName: Bob}
  - {resourceType: group, id: g1, displayName: Admins} # the admins
entitlements:
  - resourceType: group
    resourceId: g1
    slug: member
grants: []
`;

function file(name: string, contents: string): string {
  const path = join(tempDir("syncplane-file-"), name);
  writeFileSync(path, contents);
  return path;
}

async function collect(snapshot: SyncSnapshot) {
  const all = async <T>(batches: AsyncIterable<readonly T[]>) => {
    const items: T[] = [];
    for await (const batch of batches) items.push(...batch);
    return items;
  };
  return {
    resources: await all(snapshot.resources()),
    entitlements: await all(snapshot.entitlements()),
    grants: await all(snapshot.grants()),
  };
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConnectorError, String(error));
    return error;
  }
  assert.fail("expected a ConnectorError");
}

describe("file connector: sync", () => {
  it("reads a JSON inventory with counts per type", async () => {
    const snapshot = await new FileConnector(file("inv.json", JSON.stringify(INVENTORY))).sync(
      signal,
    );
    assert.deepEqual(snapshot.counts, {
      resources: { user: 2, group: 1 },
      entitlements: 1,
      grants: 1,
      entitlementsByResourceType: { group: 1 },
      grantsByResourceType: { group: 1 },
    });
    assert.deepEqual(
      snapshot.resourceTypes.map((t) => [t.id, t.skipDataDropCheck]),
      [
        ["user", false],
        ["group", false],
        ["secret", true],
      ],
    );
    const data = await collect(snapshot);
    assert.deepEqual(data.grants[0], {
      id: "group:g1:member:user:u1",
      entitlementId: "group:g1:member",
      principal: { resourceTypeId: "user", resourceId: "u1" },
    });
    assert.equal(data.entitlements[0]?.id, "group:g1:member");
  });

  it("reads the same from YAML", async () => {
    const snapshot = await new FileConnector(file("inv.yaml", YAML)).sync(signal);
    assert.deepEqual(snapshot.counts.resources, { user: 2, group: 1 });
    assert.equal(snapshot.counts.grants, 0);
    assert.equal(snapshot.resourceTypes[1]?.displayName, "group", "displayName defaults to the id");
  });

  it("names the line of a syntax error", async () => {
    const error = await failure(
      new FileConnector(file("bad.json", '{\n  "resources": [\n    {"id": "u1",,}\n  ]\n}\n')).sync(
        signal,
      ),
    );
    assert.equal(error.retryable, false);
    assert.match(error.message, /bad\.json line 3: is not valid JSON/);
  });

  it("names the line and field of a content error", async () => {
    const yaml = YAML.replace(
      "{resourceType: user, id: u2, displayName: Bob}",
      "{resourceType: usr, id: u2, displayName: Bob}",
    );
    const error = await failure(new FileConnector(file("inv.yml", yaml)).sync(signal));
    assert.match(
      error.message,
      /inv\.yml line 10: resources\[1\]\.resourceType "usr" is not a declared resource type/,
    );
    const json = JSON.stringify(
      {
        ...INVENTORY,
        grants: [{ entitlement: "group:g1:owner", principal: { resourceType: "user", id: "u1" } }],
      },
      null,
      2,
    );
    const second = await failure(new FileConnector(file("inv.json", json)).sync(signal));
    assert.match(
      second.message,
      /line \d+: grants\[0\]\.entitlement "group:g1:owner" is not an entitlement in this file/,
    );
    const unknown = await failure(new FileConnector(file("x.json", '{"users": []}')).sync(signal));
    assert.match(unknown.message, /line 1: users is not a known section/);
  });

  it("says when the file is missing", async () => {
    const error = await failure(new FileConnector("/nonexistent/inventory.json").sync(signal));
    assert.equal(error.retryable, false);
    assert.match(error.message, /inventory file \/nonexistent\/inventory.json does not exist/);
  });
});

describe("file connector: grant and revoke", () => {
  const u2 = { resourceTypeId: "user", resourceId: "u2" };
  const context = { signal, appliedArtifact: null };
  const u1Grant = {
    id: "group:g1:member:user:u1",
    entitlementId: "group:g1:member",
    principal: { resourceTypeId: "user", resourceId: "u1" },
  };

  it("grants and revokes by rewriting JSON, idempotently, keeping the file mode", async () => {
    const path = file("inv.json", JSON.stringify(INVENTORY));
    chmodSync(path, 0o640);
    const connector = new FileConnector(path);
    assert.deepEqual(await connector.grant("group:g1:member", u2, context), { result: "" });
    assert.deepEqual(await connector.grant("group:g1:member", u2, context), {
      result: "already exists",
    });
    let grants = (await collect(await connector.sync(signal))).grants.map((g) => g.id);
    assert.deepEqual(grants, ["group:g1:member:user:u1", "group:g1:member:user:u2"]);
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.doesNotThrow(() => JSON.parse(readFileSync(path, "utf8")));
    assert.deepEqual(await connector.revoke(u1Grant, context), { result: "" });
    assert.deepEqual(await connector.revoke(u1Grant, context), { result: "already revoked" });
    grants = (await collect(await connector.sync(signal))).grants.map((g) => g.id);
    assert.deepEqual(grants, ["group:g1:member:user:u2"]);
  });

  it("keeps YAML comments and layout", async () => {
    const path = file("inv.yaml", YAML);
    const connector = new FileConnector(path);
    await connector.grant("group:g1:member", u2, context);
    const text = readFileSync(path, "utf8");
    assert.match(text, /^# the demo directory/);
    assert.match(text, /# the admins/);
    assert.equal((await connector.sync(signal)).counts.grants, 1);
  });

  it("serialises concurrent rewrites of one file", async () => {
    const inventory = {
      ...INVENTORY,
      resources: [
        ...INVENTORY.resources,
        ...Array.from({ length: 20 }, (_, i) => ({ resourceType: "user", id: `x${i}` })),
      ],
    };
    const connector = new FileConnector(file("inv.json", JSON.stringify(inventory)));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        connector.grant(
          "group:g1:member",
          { resourceTypeId: "user", resourceId: `x${i}` },
          context,
        ),
      ),
    );
    assert.equal((await connector.sync(signal)).counts.grants, 21);
  });

  it("refuses unknown entitlements and principals without touching the file", async () => {
    const path = file("inv.json", JSON.stringify(INVENTORY));
    const before = readFileSync(path, "utf8");
    const connector = new FileConnector(path);
    assert.match(
      (await failure(connector.grant("group:g1:owner", u2, context))).message,
      /entitlement "group:g1:owner" does not exist/,
    );
    assert.match(
      (
        await failure(
          connector.grant(
            "group:g1:member",
            { resourceTypeId: "user", resourceId: "ghost" },
            context,
          ),
        )
      ).message,
      /principal user "ghost" does not exist/,
    );
    assert.equal(readFileSync(path, "utf8"), before);
  });
});
