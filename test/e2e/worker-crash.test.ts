// A worker process killed with SIGKILL in the middle of a sync: after its lease runs out another
// worker process retries the sync and finishes it; the connector never has two running syncs.

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createApp } from "../../src/commands/apps.js";
import { createConnector } from "../../src/commands/connectors.js";
import { systemClock } from "../../src/runtime.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { serveProcess, slowInventory } from "../helpers/processes.js";
import { tempDir } from "../helpers/server.js";

const children: ChildProcess[] = [];

after(() => {
  for (const child of children) child.kill("SIGKILL");
});

function workerProcess(dataDir: string): ChildProcess {
  const child = serveProcess(dataDir, "--roles", "worker", "--worker-lease-seconds", "10");
  children.push(child);
  return child;
}

describe("a worker killed mid-sync", () => {
  it("loses nothing: the sync is retried by another worker and finishes", async () => {
    const dir = tempDir("syncplane-crash-");
    const dataDir = join(dir, "data");
    const path = join(dir, "big.yaml");
    slowInventory(path, 40_000);
    mkdirSync(dataDir, { recursive: true });
    const store = SqliteStore.open(join(dataDir, "syncplane.db"));
    const runtime = { store, clock: systemClock };
    const actor = { name: "test", requestId: "" };
    try {
      const app = await createApp(runtime, actor, { displayName: "crash" });
      const connector = await createConnector(runtime, actor, {
        appId: app.id,
        catalogId: "file",
        config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path },
      });
      let maxRunning = 0;
      const observe = async () => {
        const syncs = (await store.listSyncs(connector.id, { pageSize: 10, after: null })).items;
        maxRunning = Math.max(maxRunning, syncs.filter((s) => s.state === "RUNNING").length);
        return syncs;
      };
      const waitFor = async (
        what: string,
        probe: (syncs: Awaited<ReturnType<typeof observe>>) => boolean,
        ms: number,
      ) => {
        const deadline = Date.now() + ms;
        for (;;) {
          if (probe(await observe())) return;
          if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };

      const first = workerProcess(dataDir);
      await waitFor(
        "the first worker to start the sync",
        (syncs) => syncs[0]?.state === "RUNNING",
        30_000,
      );
      first.kill("SIGKILL");
      await new Promise((resolve) => first.once("exit", resolve));
      const [killed] = await observe();
      assert.equal(killed?.state, "RUNNING", "the sync was cut off mid-run");
      assert.equal(killed?.attempt, 1);

      workerProcess(dataDir);
      await waitFor(
        "the retried sync to finish",
        (syncs) => syncs[0]?.state === "SUCCEEDED",
        60_000,
      );
      const [done] = await observe();
      assert.equal(done?.id, killed?.id, "the same sync, retried");
      assert.equal(done?.attempt, 2);
      assert.deepEqual(done?.counts?.resources, { user: 40_000, group: 1 });
      assert.equal(maxRunning, 1, "never two running syncs");
      assert.deepEqual(
        (await store.listSyncEvents(done?.id ?? "")).map((e) => `${e.state}:${e.attempt}`),
        ["QUEUED:0", "RUNNING:1", "QUEUED:1", "RUNNING:2", "SUCCEEDED:2"],
      );
      assert.equal((await store.findConnector(connector.id))?.appliedSyncId, done?.id);
    } finally {
      await store.close();
    }
  });
});
