// The whole story over HTTP, with the scheduler and workers running: a file connector syncs,
// its data collapses and is held, ConfirmSyncValid applies it, a pause stops scheduled fires.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDirectory } from "../helpers/inventory.js";
import { until } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
let dir: string;

before(async () => {
  dir = tempDir("syncplane-e2e-");
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
});
after(async () => {
  await server.stop();
});

const inventory = (path: string, users: number): void => writeDirectory(path, users, 10);

/** An app with a file connector reading `name`.json (`users` users); returns the connector's path. */
async function fileConnector(
  name: string,
  users: number,
): Promise<{ base: string; path: string; id: string }> {
  const path = join(dir, `${name}.json`);
  inventory(path, users);
  const app = await server.call("POST", "/api/v1/apps", { body: { displayName: name } });
  const appId = (app.body.app as Json).id as string;
  const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
    body: {
      catalogId: "file",
      config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path },
    },
  });
  const id = ((created.body.connectorView as Json).connector as Json).id as string;
  return { base: `/api/v1/apps/${appId}/connectors/${id}`, path, id };
}

const latest = async (base: string): Promise<Json | undefined> =>
  ((await server.call("GET", `${base}/syncs?page_size=1`)).body.list as Json[])[0];
const connector = async (base: string): Promise<Json> =>
  ((await server.call("GET", base)).body.connectorView as Json).connector as Json;
const ended = (base: string, trigger: string, state: string) =>
  until(`a ${trigger} sync in ${state}`, async () => {
    const sync = await latest(base);
    return sync?.trigger === trigger && sync.state === state ? sync : null;
  });

describe("sync engine end to end", () => {
  it("syncs, holds a data drop, is forced while held, and applies it on ConfirmSyncValid", async () => {
    const { base, path } = await fileConnector("directory", 200);

    const initial = await ended(base, "INITIAL", "SUCCEEDED");
    assert.deepEqual(initial.counts.resources, { user: 200, group: 1 });
    assert.ok(initial.startedAt && initial.finishedAt);
    assert.equal((await connector(base)).status.status, "SYNC_STATUS_DONE");

    inventory(path, 20); // 90% of the users vanish
    assert.equal((await server.call("POST", `${base}/force_sync`)).status, 200);
    const held = await ended(base, "FORCE", "ERRORED_NO_DATA");
    assert.equal(held.error, "user: 200 → 20 (-90.0%)");
    let c = await connector(base);
    assert.equal(c.status.status, "SYNC_STATUS_ERROR");
    assert.equal(c.status.lastError, "user: 200 → 20 (-90.0%)");
    assert.equal(c.syncDisabledCategory, "DATA_DROP");
    assert.equal(c.canResumeSync, undefined);

    const confirm = await server.call("POST", `${base}/confirm_sync_valid/${held.id}`);
    assert.equal(confirm.status, 200);
    const after = await ended(base, "CONFIRM", "SUCCEEDED");
    assert.deepEqual(after.baselineCounts.resources, { user: 20, group: 1 });
    const confirmed = (await server.call("GET", `${base}/syncs/${held.id}`)).body
      .syncLifecycle as Json;
    assert.equal(confirmed.state, "CONFIRMED");
    assert.deepEqual(
      (confirmed.events as Json[]).map((e) => e.state),
      ["QUEUED", "RUNNING", "ERRORED_NO_DATA", "CONFIRMED"],
      "every state change is in the history",
    );
    assert.equal((confirmed.events as Json[])[2]?.error, "user: 200 → 20 (-90.0%)");
    c = await connector(base);
    assert.equal(c.status.status, "SYNC_STATUS_DONE");
    assert.equal(c.syncDisabledCategory, undefined);
  });

  it("skips scheduled fires while paused and runs exactly one sync on resume", async () => {
    const { base, id } = await fileConnector("paused", 5);
    await ended(base, "INITIAL", "SUCCEEDED");
    await server.call("POST", `${base}/pause`);
    // Make the schedule due now; the scheduler advances it without queueing anything.
    const schedule = await server.server.store.getSchedule(id);
    await server.server.store.transaction((tx) =>
      tx.setNextFire(id, Date.now() - 1000, Date.now()),
    );
    await until(
      "the fire to be skipped",
      async () => ((await server.server.store.getSchedule(id))?.nextFireAt ?? 0) > Date.now(),
    );
    assert.equal((await latest(base))?.trigger, "INITIAL", "nothing queued while paused");
    assert.ok(schedule);
    await server.call("POST", `${base}/resume`);
    const resumed = await ended(base, "RESUME", "SUCCEEDED");
    const all = (await server.call("GET", `${base}/syncs`)).body.list as Json[];
    assert.deepEqual(
      all.map((s) => s.trigger),
      ["RESUME", "INITIAL"],
    );
    assert.equal(resumed.attempt, 1);
  });
});

describe("with the data-drop guard turned off", () => {
  it("the same drop is applied", async () => {
    const { base, path } = await fileConnector("unguarded", 200);
    await ended(base, "INITIAL", "SUCCEEDED");
    const off = await server.call("POST", base, {
      body: { connector: { disableCheckBadSync: true }, updateMask: "disableCheckBadSync" },
    });
    assert.equal(off.status, 200);
    inventory(path, 20);
    await server.call("POST", `${base}/force_sync`);
    const applied = await ended(base, "FORCE", "SUCCEEDED");
    assert.deepEqual(applied.counts.resources, { user: 20, group: 1 });
    assert.equal((await connector(base)).status.status, "SYNC_STATUS_DONE");
  });
});
