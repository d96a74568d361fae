// Scheduled syncs over HTTP with the engine running and an injected clock: a schedule in a
// non-UTC zone fires at its local time; a data-drop hold keeps scheduled fires from syncing
// while ForceSync still runs, and a recovered source clears the hold by itself.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { until } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let offset = 0;
const clock = { now: () => Date.now() + offset };
let server: TestServer;
let path: string;
let base: string;
let connectorId: string;

function inventory(users: number): void {
  writeFileSync(
    path,
    JSON.stringify({
      resourceTypes: [{ id: "user", traits: ["USER"] }],
      resources: Array.from({ length: users }, (_, i) => ({ resourceType: "user", id: `u${i}` })),
    }),
  );
}

const syncs = async () =>
  (await server.call("GET", `${base}/syncs?page_size=100`)).body.list as Json[];
const nextFire = async () => (await server.server.store.getSchedule(connectorId))?.nextFireAt ?? 0;

before(async () => {
  path = join(tempDir("syncplane-zone-"), "inventory.json");
  inventory(100);
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" }, clock });
  const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "Tokyo office" } });
  const appId = (app.body.app as Json).id as string;
  const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
    body: {
      catalogId: "file",
      config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path },
    },
  });
  connectorId = ((created.body.connectorView as Json).connector as Json).id as string;
  base = `/api/v1/apps/${appId}/connectors/${connectorId}`;
  await until("the initial sync", async () => (await syncs())[0]?.state === "SUCCEEDED");
});
after(async () => {
  await server.stop();
});

describe("scheduled syncs", () => {
  it("fire at their local time in a non-UTC zone", async () => {
    // A daily schedule at the Tokyo wall-clock time 30 minutes from now.
    const target = new Date(clock.now() + 30 * 60_000);
    const [hour, minute] = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Tokyo",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .format(target)
      .split(":")
      .map(Number);
    const set = await server.call("POST", `${base}/schedule`, {
      body: { cron: { cronSpec: `${minute} ${hour} * * *`, timezone: "Asia/Tokyo" } },
    });
    assert.equal(set.status, 200);
    const fireAt = await nextFire();
    assert.equal(
      fireAt,
      Math.floor(target.getTime() / 60_000) * 60_000,
      "the UTC instant of that Tokyo time",
    );
    offset += fireAt - clock.now() + 200; // jump just past the fire
    const fired = await until("the scheduled sync", async () =>
      (await syncs()).find((s) => s.trigger === "SCHEDULE" && s.state === "SUCCEEDED"),
    );
    assert.ok(Date.parse(fired.queuedAt) >= fireAt);
    assert.ok(Date.parse(fired.queuedAt) - fireAt < 5_000, "fired on time");
    assert.equal(await nextFire(), fireAt + 24 * 3600_000, "next: the same time tomorrow");
  });

  it("skip syncing under a data-drop hold, while ForceSync re-checks and a recovery clears it", async () => {
    await server.call("POST", `${base}/schedule`, {
      body: { cron: { cronSpec: "* * * * *", timezone: "Asia/Tokyo" } },
    });
    inventory(10);
    await server.call("POST", `${base}/force_sync`);
    await until("the held sync", async () => (await syncs())[0]?.state === "ERRORED_NO_DATA");
    assert.equal(
      (((await server.call("GET", base)).body.connectorView as Json).connector as Json).status
        .lastError,
      "user: 100 → 10 (-90.0%)",
    );
    const before = (await syncs()).length;
    const due = await nextFire();
    offset += due - clock.now() + 200;
    await until("the fire to pass", async () => (await nextFire()) > due);
    assert.equal((await syncs()).length, before, "no scheduled sync while held");

    inventory(100); // the source is fixed
    await server.call("POST", `${base}/force_sync`);
    await until("the recovered sync", async () => {
      const [latest] = await syncs();
      return latest?.trigger === "FORCE" && latest.state === "SUCCEEDED";
    });
    const connector = ((await server.call("GET", base)).body.connectorView as Json)
      .connector as Json;
    assert.equal(connector.syncDisabledCategory, undefined, "the hold cleared itself");
    assert.equal(connector.status.status, "SYNC_STATUS_DONE");
    assert.ok((await syncs()).some((s) => s.state === "SUPERSEDED"));
  });
});
