// Webhooks end to end: a real server (API, scheduler, worker) and a receiver on loopback. A held
// sync, a connector failing twice in a row, a test delivery — each arrives signed, is recorded
// DELIVERED, and bad subscriptions are refused with the reason.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { verifyWebhook } from "../../src/auth/webhook-signing.js";
import { newestSyncEnded } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { WebhookReceiver, type Received } from "../helpers/webhook-receiver.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
let receiver: WebhookReceiver;
before(async () => {
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
  receiver = await new WebhookReceiver().start();
});
after(async () => {
  await server.stop();
  await receiver.stop();
});

const FILE = "type.googleapis.com/syncplane.v1.FileConnectorConfig";

function users(path: string, count: number): void {
  writeFileSync(
    path,
    JSON.stringify({
      resourceTypes: [{ id: "user", displayName: "User", traits: ["USER"] }],
      resources: Array.from({ length: count }, (_, i) => ({ resourceType: "user", id: `u${i}` })),
      entitlements: [],
      grants: [],
    }),
  );
}

const settled = async (base: string): Promise<Json> => newestSyncEnded(server, base);

/** The requests of one event type, each checked against the secret. */
function verified(secret: string, type: string): Json[] {
  return receiver.received
    .filter((r: Received) => (JSON.parse(r.body) as Json).type === type)
    .map((r) => {
      const ok = verifyWebhook(
        secret,
        {
          id: String(r.headers["webhook-id"]),
          timestamp: String(r.headers["webhook-timestamp"]),
          signature: String(r.headers["webhook-signature"]),
        },
        r.body,
        Math.floor(Date.now() / 1000),
      );
      assert.ok(ok, `a valid signature on ${r.body}`);
      return JSON.parse(r.body) as Json;
    });
}

async function arrived(secret: string, type: string, count: number): Promise<Json[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const events = verified(secret, type);
    if (events.length >= count) return events;
    assert.ok(Date.now() < deadline, `${count} ${type} deliveries expected, got ${events.length}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("webhooks", () => {
  it("deliver held syncs, failing connectors and test pings, signed and recorded", async () => {
    const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "hooks" } });
    const appId = (app.body.app as Json).id as string;
    const created = await server.call("POST", "/api/v1/webhooks", {
      body: {
        url: receiver.url,
        eventTypes: ["sync.held", "sync.errored", "connector.failing"],
        appId,
        failureThreshold: 2,
        description: "on-call",
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const secret = created.body.secret as string;
    const webhook = created.body.webhook as Json;
    assert.deepEqual(webhook.eventTypes, ["connector.failing", "sync.errored", "sync.held"]);
    assert.equal(webhook.failureThreshold, 2);
    assert.equal(JSON.stringify(webhook).includes(secret), false, "the secret is not read back");
    const read = await server.call("GET", `/api/v1/webhooks/${webhook.id as string}`);
    assert.equal(JSON.stringify(read.body).includes("whsec_"), false);

    // A held sync.
    const path = join(tempDir("syncplane-webhooks-"), "users.json");
    users(path, 40);
    const connector = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: { catalogId: "file", config: { "@type": FILE, path } },
    });
    const connectorId = ((connector.body.connectorView as Json).connector as Json).id as string;
    const base = `/api/v1/apps/${appId}/connectors/${connectorId}`;
    assert.equal((await settled(base)).state, "SUCCEEDED");
    users(path, 4);
    await server.call("POST", `${base}/force_sync`);
    const held = await settled(base);
    assert.equal(held.state, "ERRORED_NO_DATA");
    const [heldEvent] = await arrived(secret, "sync.held", 1);
    assert.deepEqual(heldEvent?.data, {
      appId,
      connectorId,
      syncId: held.id,
      summary: "user: 40 → 4 (-90.0%)",
      drops: held.dataDrops, // as the sync's lifecycle shows them
    });
    assert.equal((held.dataDrops as Json[])[0]?.rule, "THRESHOLD");

    // Two failed syncs in a row: two sync.errored, one connector.failing (threshold 2).
    await server.call("POST", `${base}/confirm_sync_valid/${held.id as string}`);
    await settled(base);
    writeFileSync(path, "{ not json");
    for (let i = 0; i < 2; i++) {
      await server.call("POST", `${base}/force_sync`);
      assert.equal((await settled(base)).state, "ERRORED");
    }
    const errored = await arrived(secret, "sync.errored", 2);
    assert.match(String(errored[0]?.data.error), /directory|JSON|json/);
    const [failing] = await arrived(secret, "connector.failing", 1);
    assert.equal(failing?.data.consecutiveFailures, 2);

    // A test delivery, then the subscription's deliveries as recorded.
    const ping = await server.call("POST", `/api/v1/webhooks/${webhook.id as string}/test`, {
      body: {},
    });
    assert.equal(ping.status, 200, JSON.stringify(ping.body));
    assert.equal((ping.body.delivery as Json).state, "PENDING");
    await arrived(secret, "webhook.test", 1);
    const deadline = Date.now() + 10_000;
    let list: Json[] = [];
    do {
      list = (await server.call("GET", `/api/v1/webhooks/${webhook.id as string}/deliveries`)).body
        .list as Json[];
      if (list.every((d) => d.state === "DELIVERED")) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    assert.deepEqual(
      list.map((d) => [d.eventType, d.state, d.attempts, d.lastStatus]),
      [
        ["webhook.test", "DELIVERED", 1, 200],
        ...list.slice(1).map((d) => [d.eventType, "DELIVERED", 1, 200]),
      ],
    );
    assert.equal(list.length, 5);
    assert.equal((list[0]?.event as Json).type, "webhook.test");
    const delivered = await server.call(
      "GET",
      `/api/v1/webhooks/${webhook.id as string}/deliveries?state=PENDING`,
    );
    assert.deepEqual(delivered.body.list, []);

    // The node counted the attempts.
    const metrics = await server.call("GET", "/metrics");
    assert.match(metrics.text, /syncplane_webhook_deliveries_total\{result="delivered"\} [5-9]/);

    // Deleted: gone from the list.
    const gone = await server.call("DELETE", `/api/v1/webhooks/${webhook.id as string}`);
    assert.equal(gone.status, 200);
    assert.equal(
      (await server.call("GET", `/api/v1/webhooks/${webhook.id as string}`)).status,
      404,
    );
  });

  it("refuses subscriptions that could never work, saying why", async () => {
    const cases: [Json, RegExp][] = [
      [{ url: "ftp://hooks.example/x", eventTypes: ["sync.held"] }, /url/],
      [{ url: "https://user:pw@hooks.example/x", eventTypes: ["sync.held"] }, /url/],
      [{ url: "https://hooks.example/x", eventTypes: [] }, /eventTypes/],
      [{ url: "https://hooks.example/x", eventTypes: ["sync.done"] }, /eventTypes/],
      [
        { url: "https://hooks.example/x", eventTypes: ["sync.held"], failureThreshold: 101 },
        /failureThreshold/,
      ],
      [
        { url: "https://hooks.example/x", eventTypes: ["sync.held"], appId: "no-such-app" },
        /app "no-such-app" not found/,
      ],
    ];
    for (const [body, message] of cases) {
      const response = await server.call("POST", "/api/v1/webhooks", { body });
      assert.ok(
        [400, 404].includes(response.status),
        `${JSON.stringify(body)} → ${response.status}`,
      );
      assert.match(String(response.body.message), message);
    }
  });
});
