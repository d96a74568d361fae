// GET /metrics over real HTTP: Prometheus text with the database's figures and this node's own,
// behind a token unless --metrics-public, and never an id in a label.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { parseServeConfig } from "../../src/config/config.js";
import { startServer } from "../../src/server.js";
import {
  createAppAndConnector,
  startTestServer,
  tempDir,
  type TestServer,
} from "../helpers/server.js";

let server: TestServer;
let open: TestServer;

before(async () => {
  // The engine runs here too: the worker's and the scheduler's own figures are exported.
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
  open = await startTestServer({ flags: { metricsPublic: "true" } });
});
after(async () => {
  await server.stop();
  await open.stop();
});

/** The value of the sample `name{labels}` (labels as written, in order), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("needs a token of a reading role, unless the server makes it public", async () => {
    assert.equal((await server.call("GET", "/metrics", { token: null })).status, 401);
    const refused = await server.call("GET", "/metrics", {
      token: await server.token("connector"),
    });
    assert.equal(refused.status, 403);
    assert.equal(
      (await server.call("GET", "/metrics", { token: await server.token("viewer") })).status,
      200,
    );
    const publicly = await open.call("GET", "/metrics", { token: null });
    assert.equal(publicly.status, 200);
  });

  it("shows the queue, holds, syncs, HTTP requests, sync ends and the process, without ids", async () => {
    const dir = tempDir("syncplane-metrics-");
    const path = join(dir, "inventory.json");
    writeFileSync(
      path,
      JSON.stringify({
        resourceTypes: [{ id: "user", displayName: "User", traits: ["USER"] }],
        resources: [{ resourceType: "user", id: "u1", displayName: "Alice" }],
        entitlements: [],
        grants: [],
      }),
    );
    const { base, appId, connectorId } = await createAppAndConnector(server, { path });
    const paused = await createAppAndConnector(server, { path });
    await server.call("POST", `${paused.base}/pause`);
    // The first connector's INITIAL sync runs on this node's worker.
    const deadline = Date.now() + 30_000;
    let text = "";
    for (;;) {
      const response = await server.call("GET", "/metrics");
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      text = response.text;
      if (
        (sample(text, 'syncplane_sync_ends_total{state="SUCCEEDED",trigger="INITIAL"}') ?? 0) >= 1
      )
        break;
      assert.ok(
        Date.now() < deadline,
        `no sync end counted:\n${text
          .split("\n")
          .filter((l) => l.startsWith("syncplane_sync"))
          .join("\n")}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await server.call("GET", base);
    text = (await server.call("GET", "/metrics")).text;
    assert.equal(sample(text, 'syncplane_holds{kind="PAUSED"}'), 1);
    assert.equal(sample(text, 'syncplane_holds{kind="DATA_DROP"}'), 0);
    assert.equal(sample(text, "syncplane_queue_depth"), 0);
    assert.ok((sample(text, 'syncplane_sync_duration_seconds_count{state="SUCCEEDED"}') ?? 0) >= 1);
    assert.equal(sample(text, "syncplane_worker_slots"), 2);
    assert.ok(
      (sample(
        text,
        'syncplane_http_requests_total{method="GET",route="/api/v1/apps/:app_id/connectors/:id",status="200"}',
      ) ?? 0) >= 1,
    );
    assert.ok((sample(text, "syncplane_scheduler_tick_duration_seconds_count") ?? 0) >= 1);
    assert.ok((sample(text, "syncplane_process_cpu_user_seconds_total") ?? -1) >= 0);
    for (const id of [appId, connectorId, paused.connectorId]) {
      assert.ok(!text.includes(id), `an id in the metrics: ${id}`);
    }
    // A queued sync that may start shows up in the depth and the age (this connector is paused:
    // nothing runs it).
    await server.server.store.transaction((tx) =>
      tx.insertSync({
        id: `m${Date.now()}`,
        connectorId: paused.connectorId,
        appId: paused.appId,
        trigger: "FORCE",
        queuedAt: Date.now() - 5000,
        requestedBy: "test",
      }),
    );
    text = (await server.call("GET", "/metrics")).text;
    assert.equal(sample(text, "syncplane_queue_depth"), 1);
    assert.equal(sample(text, 'syncplane_syncs{state="QUEUED",trigger="FORCE"}'), 1);
    assert.ok((sample(text, "syncplane_queue_oldest_age_seconds") ?? 0) >= 5);
  });

  it("--metrics-listen serves it without a token on a node without the api role", async () => {
    const node = await startServer(
      parseServeConfig(
        {
          dataDir: tempDir("syncplane-metrics-worker-"),
          listen: "127.0.0.1:0",
          roles: "worker",
          metricsListen: "127.0.0.1:0",
        },
        {},
      ),
      { logger: pino({ level: "silent" }) },
    );
    try {
      assert.ok(node.metricsUrl);
      const response = await fetch(node.metricsUrl);
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.equal(sample(text, "syncplane_worker_slots"), 2);
      assert.equal(sample(text, "syncplane_queue_depth"), 0);
      assert.equal((await fetch(node.metricsUrl.replace("/metrics", "/other"))).status, 404);
    } finally {
      await node.close();
    }
  });
});
