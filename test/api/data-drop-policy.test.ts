// Per-resource-type data-drop limits over real HTTP, with the engine running: set at creation,
// read back on the connector and in inventory/resource_types, refused when wrong, and applied by
// the guard (users strict, groups loose).

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { newestSyncEnded } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
before(async () => {
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
});
after(async () => {
  await server.stop();
});

const FILE = "type.googleapis.com/syncplane.v1.FileConnectorConfig";

function inventory(path: string, users: number, groups: number): void {
  writeFileSync(
    path,
    JSON.stringify({
      resourceTypes: [
        { id: "user", displayName: "User", traits: ["USER"] },
        { id: "group", displayName: "Group", traits: ["GROUP"] },
      ],
      resources: [
        ...Array.from({ length: users }, (_, i) => ({
          resourceType: "user",
          id: `u${i}`,
          displayName: `U${i}`,
        })),
        ...Array.from({ length: groups }, (_, i) => ({
          resourceType: "group",
          id: `g${i}`,
          displayName: `G${i}`,
        })),
      ],
      entitlements: [],
      grants: [],
    }),
  );
}

const settled = async (base: string): Promise<Json> => newestSyncEnded(server, base);

describe("per-type data-drop limits", () => {
  it("are read back, shown per resource type, and used by the guard", async () => {
    const path = join(tempDir("syncplane-drop-policy-"), "inventory.json");
    inventory(path, 100, 100);
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "drop" } });
    const appId = (app.body.app as Json).id as string;
    const policy = {
      thresholdPercent: 50,
      minRows: 10,
      resourceTypes: {
        user: { thresholdPercent: 5, minRows: 1 },
        group: { thresholdPercent: 95, minRows: 10 },
      },
    };
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { catalogId: "file", config: { "@type": FILE, path }, dataDropPolicy: policy },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const connector = (created.body.connectorView as Json).connector as Json;
    assert.deepEqual(connector.dataDropPolicy, policy);
    const base = `/api/v1/apps/${appId}/connectors/${connector.id as string}`;
    assert.equal((await settled(base)).state, "SUCCEEDED");

    const types = (await server.call("GET", `${base}/inventory/resource_types`)).body
      .list as Json[];
    assert.deepEqual(Object.fromEntries(types.map((t) => [t.id, t.dataDropLimits])), {
      user: { thresholdPercent: 5, minRows: 1 },
      group: { thresholdPercent: 95, minRows: 10 },
    });

    // Groups fall 80%: under their own 95%, so the sync is applied.
    inventory(path, 100, 20);
    await server.call("POST", `${base}/force_sync`);
    assert.equal((await settled(base)).state, "SUCCEEDED");
    // Users fall 10%: over their strict 5%, so the sync is held.
    inventory(path, 90, 20);
    await server.call("POST", `${base}/force_sync`);
    const held = await settled(base);
    assert.equal(held.state, "ERRORED_NO_DATA");
    assert.equal(held.error, "user: 100 → 90 (-10.0%)");
    const firedAs = [
      {
        what: "user",
        before: 100,
        after: 90,
        percent: 10,
        rule: "THRESHOLD",
        limits: { thresholdPercent: 5, minRows: 1 },
      },
    ];
    assert.deepEqual(held.dataDrops, firedAs, "the limits that fired: the type's own");

    // Replaced through an update mask; cleared with null.
    const updated = await server.call("POST", base, {
      body: {
        connector: { dataDropPolicy: { thresholdPercent: 40, minRows: 5 } },
        updateMask: "dataDropPolicy",
      },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const read = (await server.call("GET", base)).body.connectorView as Json;
    assert.deepEqual((read.connector as Json).dataDropPolicy, { thresholdPercent: 40, minRows: 5 });
    // The held sync keeps the limits that fired then, not today's.
    const again = (await server.call("GET", `${base}/syncs/${held.id as string}`)).body
      .syncLifecycle as Json;
    assert.deepEqual(again.dataDrops, firedAs);
  });

  it("refuses limits out of range, naming the resource type", async () => {
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "drop-bad" } });
    const appId = (app.body.app as Json).id as string;
    const refused = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "file",
        config: { "@type": FILE, path: "/tmp/x.json" },
        dataDropPolicy: {
          thresholdPercent: 50,
          minRows: 10,
          resourceTypes: { user: { thresholdPercent: 0, minRows: 1 } },
        },
      },
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 3);
    assert.match(
      refused.body.message as string,
      /dataDropPolicy\.resourceTypes\.user\.thresholdPerce.* must be at least 1/,
    );
  });
});
