// The Artifacts contract: one suite that every place sync files can live must pass (local disk,
// PostgreSQL). Each backend's test file calls artifactContract() with a function that opens a
// fresh, empty store and artifacts of that backend, with a retention of 3.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";
import {
  MAX_LOG_BYTES,
  TASK_LOG_RETENTION,
  type Artifacts,
  type SyncLog,
} from "../../src/artifacts/artifacts.js";
import type { ConnectorRecord } from "../../src/domain/model.js";
import { newId } from "../../src/runtime.js";
import type { Store, StoreTx } from "../../src/store/store.js";
import { connectorRecord } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/server.js";

export interface ArtifactsHarness {
  readonly store: Store;
  /** Opened with a retention of 3. */
  readonly artifacts: Artifacts;
  /** Another instance on the same storage, as another node would open it. */
  peer(): Promise<Artifacts>;
  close(): Promise<void>;
}

export const CONTRACT_RETENTION = 3;

export function artifactContract(backend: string, open: () => Promise<ArtifactsHarness>): void {
  describe(`Artifacts contract: ${backend}`, () => {
    let harness: ArtifactsHarness;
    let artifacts: Artifacts;
    let store: Store;
    let dir: string;
    const now = Date.parse("2026-06-01T12:00:00Z");
    let clockSeconds = 0;
    /** Ids that sort in the order they were made (KSUIDs have one-second resolution). */
    const nextId = () => newId({ now: () => now + 1000 * clockSeconds++ });

    before(async () => {
      harness = await open();
      artifacts = harness.artifacts;
      store = harness.store;
      dir = tempDir("syncplane-artifact-sources-");
    });
    after(async () => {
      await harness.close();
    });

    async function seedConnector(): Promise<ConnectorRecord> {
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
      return connector;
    }

    /** A local file with `bytes` in it, to be kept. */
    function source(bytes: Buffer): string {
      const path = join(dir, `${newId()}.c1z`);
      writeFileSync(path, bytes);
      return path;
    }

    const line = (message: string) => ({
      at: now,
      stream: "stdout" as const,
      level: "info",
      message,
    });

    const messages = async (read: Promise<Record<string, string>[]>) =>
      (await read).map((entry) => entry.message ?? "");

    it("keeps a c1z of several chunks and an empty one; reads them back exactly", async () => {
      const connector = await seedConnector();
      const big = randomBytes(3.5 * 1024 * 1024);
      const [bigSync, emptySync] = [nextId(), nextId()];
      const bigSource = source(big);
      await artifacts.keepC1z(connector.id, bigSync, bigSource);
      assert.equal(existsSync(bigSource), false, "the source is gone once kept");
      await artifacts.keepC1z(connector.id, emptySync, source(Buffer.alloc(0)));

      assert.equal(await artifacts.size(connector.id, bigSync, "c1z"), big.length);
      assert.equal(await artifacts.size(connector.id, emptySync, "c1z"), 0);
      assert.equal(await artifacts.size(connector.id, nextId(), "c1z"), null);
      assert.equal(await artifacts.size(connector.id, bigSync, "log"), null);
      assert.ok(big.equals(await buffer(artifacts.read(connector.id, bigSync, "c1z"))));
      assert.equal((await buffer(artifacts.read(connector.id, emptySync, "c1z"))).length, 0);
    });

    it("fails the read stream of a file that is not kept", async () => {
      const connector = await seedConnector();
      await assert.rejects(buffer(artifacts.read(connector.id, nextId(), "c1z")), {
        code: "ENOENT",
      });
    });

    it("copies a kept file to a local path; says so when there is none", async () => {
      const connector = await seedConnector();
      const syncId = nextId();
      const bytes = randomBytes(1.25 * 1024 * 1024);
      await artifacts.keepC1z(connector.id, syncId, source(bytes));
      const copy = join(dir, "copy.c1z");
      assert.equal(await artifacts.copyTo(connector.id, syncId, "c1z", copy), true);
      assert.ok(bytes.equals(readFileSync(copy)));
      const absent = join(dir, "absent.c1z");
      assert.equal(await artifacts.copyTo(connector.id, nextId(), "c1z", absent), false);
      assert.equal(existsSync(absent), false);
    });

    it("replaces a sync's c1z kept again (an attempt that took over)", async () => {
      const connector = await seedConnector();
      const syncId = nextId();
      await artifacts.keepC1z(connector.id, syncId, source(randomBytes(2 * 1024 * 1024 + 5)));
      const second = randomBytes(1000);
      await artifacts.keepC1z(connector.id, syncId, source(second));
      assert.equal(await artifacts.size(connector.id, syncId, "c1z"), second.length);
      assert.ok(second.equals(await buffer(artifacts.read(connector.id, syncId, "c1z"))));
    });

    it("refuses a c1z it cannot read, and keeps nothing", async () => {
      const connector = await seedConnector();
      const syncId = nextId();
      await assert.rejects(artifacts.keepC1z(connector.id, syncId, join(dir, "missing.c1z")));
      assert.equal(await artifacts.size(connector.id, syncId, "c1z"), null);
    });

    it("appends the attempts of a sync to one log", async () => {
      const connector = await seedConnector();
      const syncId = nextId();
      const first = await artifacts.openLog(connector.id, syncId, 1);
      first.write(line("one"));
      first.write({ ...line("é ü ✓"), stream: "stderr", level: "error" });
      await first.close();
      const second = await artifacts.openLog(connector.id, syncId, 2);
      second.write(line("two"));
      await second.close();
      const lines = await artifacts.readLog(connector.id, syncId);
      assert.deepEqual(
        lines.map((entry) => entry.message),
        ["attempt 1 started", "one", "é ü ✓", "attempt 2 started", "two"],
      );
      assert.deepEqual(lines[2], {
        at: new Date(now).toISOString(),
        stream: "stderr",
        level: "error",
        message: "é ü ✓",
      });
      const size = await artifacts.size(connector.id, syncId, "log");
      assert.ok(size !== null && size > 0);
      const text = (await buffer(artifacts.read(connector.id, syncId, "log"))).toString("utf8");
      assert.equal(Buffer.byteLength(text), size);
      assert.equal(text.split("\n").length, 6);
      assert.deepEqual(await artifacts.readLog(connector.id, nextId()), []);
    });

    it(`stops a log at ${MAX_LOG_BYTES} bytes across attempts, with a line saying so`, async () => {
      const connector = await seedConnector();
      const syncId = nextId();
      const log = await artifacts.openLog(connector.id, syncId, 1);
      const chunk = "x".repeat(100_000);
      for (let i = 0; i < Math.ceil(MAX_LOG_BYTES / chunk.length) + 5; i++) {
        log.write(line(chunk));
      }
      await log.close();
      const size = (await artifacts.size(connector.id, syncId, "log")) ?? 0;
      assert.ok(size <= MAX_LOG_BYTES + 200, `log of ${size} bytes`);
      assert.ok(size > MAX_LOG_BYTES - 101_000, `log of ${size} bytes`);
      const before = await messages(artifacts.readLog(connector.id, syncId));
      const written = before.filter((message) => message === chunk).length;
      assert.equal(before.at(-1), `log truncated: it reached ${MAX_LOG_BYTES} bytes`);
      // The next attempt counts what the first wrote: a short line fits, a long one does not.
      const again = await artifacts.openLog(connector.id, syncId, 2);
      again.write(line(chunk));
      again.write(line("after the cap"));
      await again.close();
      const lines = await messages(artifacts.readLog(connector.id, syncId));
      assert.equal(lines.filter((message) => message === chunk).length, written);
      assert.equal(lines.filter((message) => message.startsWith("log truncated")).length, 2);
      assert.deepEqual(lines.slice(-2), [
        "attempt 2 started",
        `log truncated: it reached ${MAX_LOG_BYTES} bytes`,
      ]);
      const total = (await artifacts.size(connector.id, syncId, "log")) ?? 0;
      assert.ok(total <= MAX_LOG_BYTES + 400, `log of ${total} bytes`);
    });

    it("reads a log while it is being written, up to what was written out", async () => {
      const connector = await seedConnector();
      const syncId = nextId();
      const log = await artifacts.openLog(connector.id, syncId, 1);
      try {
        log.write(line("early"));
        await eventually(async () => {
          const lines = await messages(artifacts.readLog(connector.id, syncId));
          assert.deepEqual(lines, ["attempt 1 started", "early"]);
        });
        log.write(line("later"));
        await eventually(async () => {
          const lines = await messages(artifacts.readLog(connector.id, syncId));
          assert.deepEqual(lines, ["attempt 1 started", "early", "later"]);
        });
      } finally {
        await log.close();
      }
    });

    it("task logs: written, read, and pruned to the newest TASK_LOG_RETENTION", async () => {
      const connector = await seedConnector();
      const taskIds: string[] = [];
      for (let i = 0; i < TASK_LOG_RETENTION + 3; i++) {
        const taskId = nextId();
        taskIds.push(taskId);
        const log = await artifacts.openTaskLog(connector.id, taskId);
        log.write({ ...line(`task ${i}`), stream: "syncplane" });
        await log.close();
      }
      assert.deepEqual(await messages(artifacts.readTaskLog(connector.id, taskIds[0] ?? "")), [
        "task 0",
      ]);
      assert.equal(await artifacts.pruneTaskLogs(connector.id), 3);
      assert.equal(await artifacts.pruneTaskLogs(connector.id), 0);
      for (const taskId of taskIds.slice(0, 3)) {
        assert.deepEqual(await artifacts.readTaskLog(connector.id, taskId), []);
      }
      for (const [i, taskId] of taskIds.entries()) {
        if (i < 3) continue;
        if (i !== 3 && i !== taskIds.length - 1) continue;
        assert.deepEqual(await messages(artifacts.readTaskLog(connector.id, taskId)), [
          `task ${i}`,
        ]);
      }
      // A task log is not a sync's: sync retention leaves it alone.
      assert.equal(await artifacts.prune(store, connector.id), 0);
      assert.equal((await artifacts.readTaskLog(connector.id, taskIds.at(-1) ?? "")).length, 1);
    });

    it("prunes all but the newest syncs' files, sparing applied, held, running ones", async () => {
      const connector = await seedConnector();
      // Eight syncs, oldest first: 0 applied, 1 held (ERRORED_NO_DATA), 2 still RUNNING.
      const ids: string[] = [];
      const insertSync = (tx: StoreTx, id: string, i: number) =>
        tx.insertSync({
          id,
          connectorId: connector.id,
          appId: connector.appId,
          trigger: "FORCE",
          queuedAt: now + i,
          requestedBy: "t",
        });
      for (let i = 0; i < 8; i++) {
        const id = nextId();
        ids.push(id);
        // Sync 2 is queued and started last: a connector has one queued and one running sync.
        if (i !== 2) {
          await store.transaction(async (tx) => {
            await insertSync(tx, id, i);
            await tx.startSync(id, "w", now + i, now + i + 60_000);
            await tx.finishSync(id, {
              state: i === 1 ? "ERRORED_NO_DATA" : "SUCCEEDED",
              finishedAt: now + i,
            });
            if (i === 0) await tx.setAppliedSync(connector.id, id, now);
          });
        }
        await artifacts.keepC1z(connector.id, id, source(Buffer.from("C1ZF\0")));
        const log = await artifacts.openLog(connector.id, id, 1);
        await log.close();
      }
      const running = ids[2] ?? "";
      await store.transaction(async (tx) => {
        await insertSync(tx, running, 2);
        await tx.startSync(running, "w", now, now + 60_000);
      });
      assert.equal((await store.getSync(connector.id, running))?.state, "RUNNING");
      assert.equal(await artifacts.prune(store, connector.id), 2);
      for (const [i, id] of ids.entries()) {
        const gone = i === 3 || i === 4;
        assert.equal(await artifacts.size(connector.id, id, "c1z"), gone ? null : 5, `c1z ${i}`);
        assert.equal((await artifacts.size(connector.id, id, "log")) === null, gone, `log ${i}`);
      }
      assert.equal(await artifacts.prune(store, connector.id), 0);
    });

    it("discards one file of a sync, and nothing else", async () => {
      const connector = await seedConnector();
      const syncId = nextId();
      await artifacts.keepC1z(connector.id, syncId, source(Buffer.from("C1ZF\0")));
      const log = await artifacts.openLog(connector.id, syncId, 1);
      await log.close();
      await artifacts.discard(connector.id, syncId, "c1z");
      await artifacts.discard(connector.id, syncId, "c1z"); // nothing left: no error
      assert.equal(await artifacts.size(connector.id, syncId, "c1z"), null);
      assert.deepEqual(await messages(artifacts.readLog(connector.id, syncId)), [
        "attempt 1 started",
      ]);
    });

    it("removes every file of a deleted connector, and no other connector's", async () => {
      const [doomed, other] = [await seedConnector(), await seedConnector()];
      const syncId = nextId();
      const taskId = nextId();
      for (const connector of [doomed, other]) {
        await artifacts.keepC1z(connector.id, syncId, source(randomBytes(10)));
        const log = await artifacts.openLog(connector.id, syncId, 1);
        await log.close();
        const taskLog = await artifacts.openTaskLog(connector.id, taskId);
        taskLog.write(line("granted"));
        await taskLog.close();
      }
      await artifacts.removeConnector(doomed.id);
      await artifacts.removeConnector(doomed.id); // nothing left: no error
      assert.equal(await artifacts.size(doomed.id, syncId, "c1z"), null);
      assert.equal(await artifacts.size(doomed.id, syncId, "log"), null);
      assert.deepEqual(await artifacts.readTaskLog(doomed.id, taskId), []);
      assert.equal(await artifacts.size(other.id, syncId, "c1z"), 10);
      assert.equal((await artifacts.readLog(other.id, syncId)).length, 1);
      assert.equal((await artifacts.readTaskLog(other.id, taskId)).length, 1);
    });

    it("another instance on the same storage (a node) reads, removes what one wrote", async () => {
      const connector = await seedConnector();
      const peer = await harness.peer();
      try {
        const syncId = nextId();
        const bytes = randomBytes(2.5 * 1024 * 1024);
        await artifacts.keepC1z(connector.id, syncId, source(bytes));
        assert.equal(await peer.size(connector.id, syncId, "c1z"), bytes.length);
        assert.ok(bytes.equals(await buffer(peer.read(connector.id, syncId, "c1z"))));
        const copy = join(dir, "peer-copy.c1z");
        assert.equal(await peer.copyTo(connector.id, syncId, "c1z", copy), true);
        assert.ok(bytes.equals(readFileSync(copy)));

        // A log one node is writing is readable on the other; the next attempt may run there.
        const log: SyncLog = await artifacts.openLog(connector.id, syncId, 1);
        log.write(line("from the first node"));
        await eventually(async () =>
          assert.deepEqual(await messages(peer.readLog(connector.id, syncId)), [
            "attempt 1 started",
            "from the first node",
          ]),
        );
        await log.close();
        const next = await peer.openLog(connector.id, syncId, 2);
        next.write(line("from the second node"));
        await next.close();
        assert.deepEqual(await messages(artifacts.readLog(connector.id, syncId)), [
          "attempt 1 started",
          "from the first node",
          "attempt 2 started",
          "from the second node",
        ]);

        await peer.discard(connector.id, syncId, "c1z");
        assert.equal(await artifacts.size(connector.id, syncId, "c1z"), null);
      } finally {
        await peer.close();
      }
    });
  });
}

/** Retries `check` until it passes (a log is written out within about a second). */
export async function eventually(check: () => Promise<void>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
