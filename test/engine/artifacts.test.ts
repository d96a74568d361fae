// Sync files on disk: retention keeps the newest N syncs' files per connector plus the applied
// and held ones; abandoned run directories of dead processes are swept, live ones are not.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sweepAbandonedRuns } from "../../src/connectors/baton/one-shot.js";
import { SyncLog } from "../../src/artifacts/artifacts.js";
import { LocalArtifacts } from "../../src/artifacts/local.js";
import { newId } from "../../src/runtime.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { connectorRecord } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/server.js";

let dir: string;
let store: Store;
const now = Date.parse("2026-06-01T12:00:00Z");

before(async () => {
  dir = tempDir("syncplane-artifacts-");
  store = await SqliteStore.open(join(dir, "syncplane.db"));
});
after(async () => {
  await store.close();
});

describe("sync files", () => {
  it("keeps the newest N syncs' files, the applied sync's and held syncs', and drops the rest", async () => {
    const appId = newId();
    await store.transaction((tx) =>
      tx.insertApp({
        id: appId,
        displayName: "a",
        description: "",
        attributes: {},
        createdAt: now,
        updatedAt: now,
      }),
    );
    const connector = connectorRecord(appId, now);
    await store.transaction((tx) => tx.insertConnector(connector));
    // Seven finished syncs, oldest first (KSUIDs sort by time).
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = newId({ now: () => now + i * 1000 });
      ids.push(id);
      await store.transaction(async (tx) => {
        await tx.insertSync({
          id,
          connectorId: connector.id,
          appId,
          trigger: "FORCE",
          queuedAt: now + i,
          requestedBy: "t",
        });
        await tx.startSync(id, "w", now + i, now + i + 60_000);
        await tx.finishSync(id, {
          state: i === 1 ? "ERRORED_NO_DATA" : "SUCCEEDED",
          finishedAt: now + i,
        });
        if (i === 0) await tx.setAppliedSync(connector.id, id, now);
      });
    }
    const artifacts = new LocalArtifacts(join(dir, "artifacts"), 3);
    for (const id of ids) {
      const source = join(dir, `${id}.src`);
      writeFileSync(source, "C1ZF\0");
      await artifacts.keepC1z(connector.id, id, source);
      const log = await artifacts.openLog(connector.id, id, 1);
      await log.close();
    }
    assert.equal(await artifacts.prune(store, connector.id), 2);
    const kept = readdirSync(join(dir, "artifacts", connector.id)).sort();
    const expected = [ids[0], ids[1], ids[4], ids[5], ids[6]].flatMap((id) => [
      `${id}.c1z`,
      `${id}.log`,
    ]);
    assert.deepEqual(kept, expected.sort());
    assert.equal(await artifacts.size(connector.id, ids[2] as string, "c1z"), null);
    assert.equal(await artifacts.size(connector.id, ids[6] as string, "c1z"), 5);
    await artifacts.removeConnector(connector.id);
    assert.deepEqual(readdirSync(join(dir, "artifacts")), []);
  });

  it("a log that cannot be written reports the error and stops; nothing crashes", async () => {
    const errors: Error[] = [];
    const log = new SyncLog(createWriteStream("/dev/full"), 0, (error) => errors.push(error));
    log.write({ at: Date.now(), stream: "stderr", level: "info", message: "x".repeat(100_000) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    log.write({ at: Date.now(), stream: "stderr", level: "info", message: "after" });
    await log.close();
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? "", /ENOSPC/);
  });

  it("sweeps run directories of processes that are gone, never a live one's", async () => {
    const runs = join(dir, "runs");
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number;
    const make = (name: string, owner: object | null) => {
      mkdirSync(join(runs, name), { recursive: true });
      if (owner) writeFileSync(join(runs, name, "owner.json"), JSON.stringify(owner));
    };
    const live = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      make("run-dead", { host: hostname(), pid: dead });
      make("run-live", { host: hostname(), pid: live.pid });
      // Same pid as this process but another token: an earlier incarnation (pid 1 in containers).
      make("run-earlier-self", { host: hostname(), pid: process.pid, token: "0000" });
      make("run-elsewhere", { host: "another-host", pid: dead });
      make("run-unowned-new", null);
      make("not-a-run", null);
      assert.equal(await sweepAbandonedRuns(runs), 2);
      assert.deepEqual(readdirSync(runs).sort(), [
        "not-a-run",
        "run-elsewhere",
        "run-live",
        "run-unowned-new",
      ]);
    } finally {
      live.kill();
      await once(live, "exit");
    }
    // An owner-less run directory is swept once it is a day old; the sleep's is gone by now.
    assert.equal(await sweepAbandonedRuns(runs, Date.now() + 25 * 3600 * 1000), 2);
    assert.deepEqual(readdirSync(runs).sort(), ["not-a-run", "run-elsewhere"]);
  });
});
