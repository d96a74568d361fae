// The webhook dispatcher against a receiver on loopback, on both backends: signed deliveries
// (Standard Webhooks), retries with backoff until delivered or given up, timeouts, deliveries of
// a deleted subscription, and each attempt recorded.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { verifyWebhook } from "../../src/auth/webhook-signing.js";
import type { Runtime } from "../../src/commands/context.js";
import { createApp } from "../../src/commands/apps.js";
import { createConnector } from "../../src/commands/connectors.js";
import { pauseSync } from "../../src/commands/pause-sync.js";
import { createWebhook, deleteWebhook, testWebhook } from "../../src/commands/webhooks.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import { WebhookDispatcher, type DeliveryResult } from "../../src/engine/webhooks.js";
import type { Store } from "../../src/store/store.js";
import { storeBackends } from "../helpers/backends.js";
import { WebhookReceiver } from "../helpers/webhook-receiver.js";

const alice = { name: "alice@example", requestId: "req-1" };
const backends = storeBackends("webhooks");

for (const [name, open] of backends) {
  describe(`webhook dispatcher (${name})`, () => {
    let store: Store;
    let runtime: Runtime;
    let receiver: WebhookReceiver;
    const results: DeliveryResult[] = [];

    before(async () => {
      store = await open();
      runtime = { store, clock: { now: () => Date.now() } };
      receiver = await new WebhookReceiver().start();
    });
    after(async () => {
      await receiver.stop();
      await store.close();
    });

    const dispatcher = (retryDelays: (number | null)[], timeoutMs = 2000) =>
      new WebhookDispatcher(runtime, {
        timeoutMs,
        retryDelay: (attempts) => retryDelays[attempts - 1] ?? null,
        onAttempt: (result) => results.push(result),
      });
    const deliveries = async (webhookId: string) =>
      (await store.listDeliveries(webhookId, [], { pageSize: 50, after: null })).items;

    it("delivers signed, retries a refusal after the backoff, and records every attempt", async () => {
      const { webhook, secret } = await createWebhook(runtime, alice, {
        url: receiver.url,
        eventTypes: ["sync.held"],
      });
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const deliveryId = await testWebhook(runtime, alice, webhook.id);
      receiver.answers.push(503);
      const sender = dispatcher([300]);
      assert.equal(await sender.tick(), 1, "the first attempt");
      const [firstTry] = await deliveries(webhook.id);
      assert.equal(firstTry?.id, deliveryId);
      assert.equal(firstTry?.state, "PENDING");
      assert.equal(firstTry?.attempts, 1);
      assert.equal(firstTry?.lastStatus, 503);
      assert.equal(firstTry?.lastError, "HTTP 503: not now");
      assert.equal(await sender.tick(), 0, "not before the backoff");
      await new Promise((resolve) => setTimeout(resolve, 350));
      assert.equal(await sender.tick(), 1);
      const [delivered] = await deliveries(webhook.id);
      assert.deepEqual(
        [delivered?.state, delivered?.attempts, delivered?.lastStatus, delivered?.lastError],
        ["DELIVERED", 2, 200, ""],
      );

      const [first, second] = await receiver.waitFor(2);
      for (const request of [first, second]) {
        assert.ok(request);
        const headers = {
          id: String(request.headers["webhook-id"]),
          timestamp: String(request.headers["webhook-timestamp"]),
          signature: String(request.headers["webhook-signature"]),
        };
        assert.equal(request.headers["content-type"], "application/json");
        assert.ok(verifyWebhook(secret, headers, request.body, Math.floor(Date.now() / 1000)));
        assert.ok(
          !verifyWebhook(secret, headers, `${request.body} `, Math.floor(Date.now() / 1000)),
        );
        assert.ok(
          !verifyWebhook("whsec_d3Jvbmc=", headers, request.body, Math.floor(Date.now() / 1000)),
        );
      }
      assert.equal(first?.headers["webhook-id"], second?.headers["webhook-id"], "one id per event");
      const body = JSON.parse(first?.body ?? "{}") as Record<string, unknown>;
      assert.equal(body.type, "webhook.test");
      assert.equal(body.id, first?.headers["webhook-id"]);
      assert.deepEqual(body.data, {
        message: "a test delivery from syncplane",
        requestedBy: "alice@example",
      });
      assert.deepEqual(results.slice(-2), ["retried", "delivered"]);
    });

    it("gives up when the backoff steps run out, and when the receiver does not answer in time", async () => {
      const { webhook } = await createWebhook(runtime, alice, {
        url: receiver.url,
        eventTypes: ["sync.errored"],
      });
      await testWebhook(runtime, alice, webhook.id);
      receiver.answers.push(500, 500);
      const sender = dispatcher([10]);
      await sender.tick();
      await new Promise((resolve) => setTimeout(resolve, 30));
      await sender.tick();
      const [failed] = await deliveries(webhook.id);
      assert.deepEqual([failed?.state, failed?.attempts, failed?.lastStatus], ["FAILED", 2, 500]);
      assert.ok(failed?.finishedAt);

      await testWebhook(runtime, alice, webhook.id);
      receiver.delayMs = 400;
      try {
        await dispatcher([], 100).tick();
      } finally {
        receiver.delayMs = 0;
      }
      const [slow] = await deliveries(webhook.id);
      assert.deepEqual(
        [slow?.state, slow?.lastStatus, slow?.lastError],
        ["FAILED", null, "no answer within 0.1 s"],
      );
    });

    it("announces a timed pause that ended and a service-mode connector that stopped polling, once", async () => {
      let t = Date.parse("2026-12-07T10:00:00Z");
      const faked: Runtime = { store, clock: { now: () => t } };
      const scheduler = new Scheduler(faked);
      const appId = (await createApp(faked, alice, { displayName: "events" })).id;
      const { id } = await createConnector(faked, alice, {
        appId,
        catalogId: "file",
        config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path: "/tmp/x" },
      });
      const { webhook } = await createWebhook(faked, alice, {
        url: receiver.url,
        eventTypes: ["pause.ended", "connector.stopped_polling"],
        appId,
      });
      const events = async () =>
        (await deliveries(webhook.id)).map((d) => JSON.parse(d.payload) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

      await pauseSync(faked, alice, { appId, connectorId: id, note: "maintenance", until: "1h" });
      t += 3_600_000 + 1;
      await scheduler.tick();
      const [ended] = await events();
      assert.equal(ended?.type, "pause.ended");
      assert.deepEqual(ended?.data, {
        appId,
        connectorId: id,
        pausedBy: "alice@example",
        note: "maintenance",
        pausedUntil: new Date(t - 1).toISOString(),
      });

      await store.transaction((tx) => tx.touchPresence(id, "host-7", t, 5_000));
      t += 40_000;
      assert.equal((await scheduler.tick()).stoppedPolling, 0, "not silent yet");
      t += 10_000;
      assert.equal((await scheduler.tick()).stoppedPolling, 1);
      assert.equal((await scheduler.tick()).stoppedPolling, 0, "once");
      const stopped = (await events()).find((e) => e.type === "connector.stopped_polling");
      assert.deepEqual(stopped?.data, {
        appId,
        connectorId: id,
        hostId: "host-7",
        lastSeenAt: new Date(t - 50_000).toISOString(),
      });
      await deleteWebhook(faked, alice, webhook.id); // its deliveries are not for the next tests
    });

    it("fails deliveries of a deleted subscription, and reports a receiver that cannot be reached", async () => {
      const { webhook } = await createWebhook(runtime, alice, {
        url: receiver.url,
        eventTypes: ["task.failed"],
      });
      await testWebhook(runtime, alice, webhook.id);
      await deleteWebhook(runtime, alice, webhook.id);
      const [gone] = await deliveries(webhook.id);
      assert.deepEqual([gone?.state, gone?.lastError], ["FAILED", "the webhook was deleted"]);
      assert.equal(await dispatcher([]).tick(), 0);

      // A port that was free a moment ago: nothing listens there.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      const { webhook: nowhere } = await createWebhook(runtime, alice, {
        url: `http://127.0.0.1:${port}/nobody-listens`,
        eventTypes: ["task.failed"],
      });
      await testWebhook(runtime, alice, nowhere.id);
      await dispatcher([]).tick();
      const [refused] = await deliveries(nowhere.id);
      assert.equal(refused?.state, "FAILED");
      assert.match(refused?.lastError ?? "", /^cannot reach the receiver: ECONNREFUSED/);
    });

    it("keeps only the start of a refusal's body, however long the receiver's answer", async () => {
      const { webhook } = await createWebhook(runtime, alice, {
        url: receiver.url,
        eventTypes: ["sync.held"],
      });
      await testWebhook(runtime, alice, webhook.id);
      receiver.answers.push(500);
      receiver.refusal = "x".repeat(8 * 1024 * 1024);
      try {
        assert.equal(await dispatcher([null]).tick(), 1);
      } finally {
        receiver.refusal = "not now";
      }
      const [failed] = await deliveries(webhook.id);
      assert.equal(failed?.state, "FAILED");
      assert.equal(failed?.lastError, `HTTP 500: ${"x".repeat(200)}`);
    });
  });
}
