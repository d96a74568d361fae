// The one-shot runner on its own, with a real subprocess: the REAL baton-demo (commit 6090134,
// baton-sdk v0.2.51) syncs, its JSON log lines reach the log as they come, its legacy c1z is read,
// cancelling sends SIGINT to its process group (the SDK runs the connector in a second process)
// and a stop before the start runs nothing. FAKE-baton-demo is kept for what the real one cannot
// do: ignore SIGINT (so the runner must SIGKILL it) and write the current c1z schema of newer
// SDKs. Scripts stand in for commands that are not baton connectors at all.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  BatonOneShotConnector,
  type ConnectorLogLine,
} from "../../src/connectors/baton/one-shot.js";
import { ConnectorError } from "../../src/connectors/runner.js";
import { BATON_DEMO, FAKE_BATON_DEMO, interopBinary } from "../helpers/baton.js";
import { withC1zDatabase } from "../helpers/c1z.js";
import { tempDir } from "../helpers/server.js";
import { PROCESS_LIMIT_MS, until } from "../helpers/wait.js";

describe("baton one-shot runner", () => {
  let dir: string;
  before(() => {
    dir = tempDir("syncplane-runner-");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const runner = (
    command: string,
    args: string[],
    lines: ConnectorLogLine[] = [],
    killGraceMs = 300,
  ) =>
    new BatonOneShotConnector(
      { command, args, env: {} },
      {
        workRoot: join(dir, "runs"),
        inheritedEnv: {},
        log: (line) => lines.push(line),
        killGraceMs,
      },
    );
  const runDirs = () => (existsSync(join(dir, "runs")) ? readdirSync(join(dir, "runs")) : []);
  const columns = (db: Database.Database, table: string) =>
    db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];

  describe("with the real baton-demo", interopBinary(BATON_DEMO), () => {
    let upstream: string;
    before(() => {
      upstream = join(dir, "demo.db");
      execFileSync(
        BATON_DEMO,
        ["--db-file", upstream, "--init-db", "--file", join(dir, "seed.c1z")],
        {
          cwd: dir,
          env: { PATH: process.env.PATH ?? "", TZ: "UTC" },
          stdio: "ignore",
          timeout: PROCESS_LIMIT_MS,
        },
      );
    });
    const demo = (args: string[], lines: ConnectorLogLine[] = [], killGraceMs?: number) =>
      runner(BATON_DEMO, args, lines, killGraceMs);

    it("syncs, streams the connector's JSON log lines, and cleans its run directory on release", async () => {
      const lines: ConnectorLogLine[] = [];
      const snapshot = await demo(["--db-file", upstream], lines).sync(
        new AbortController().signal,
      );
      assert.equal(snapshot.counts.resources.user, 5);
      assert.ok(snapshot.artifact && existsSync(snapshot.artifact.path));
      assert.match(snapshot.artifact.sourceSyncId, /^[0-9A-Za-z]{27}$/);
      const messages = lines.map((l) => l.message);
      assert.ok(
        lines.some((l) => l.message === "Sync complete." && l.level === "info"),
        messages.join("\n"),
      );
      assert.ok(messages.includes("Syncing grants..."));
      assert.ok(lines.every((l) => l.stream === "stderr"));
      assert.equal(runDirs().length, 1);
      await snapshot.release();
      assert.deepEqual(runDirs(), []);
    });

    it("reads the legacy c1z of baton-sdk v0.2.51 (no sync_type, no stats): counts equal its rows", async () => {
      const snapshot = await demo(["--db-file", upstream]).sync(new AbortController().signal);
      try {
        const path = snapshot.artifact?.path ?? assert.fail("no c1z kept");
        const own = await withC1zDatabase(path, (db) => {
          assert.deepEqual(columns(db, "v1_sync_runs").sort(), [
            "ended_at",
            "id",
            "started_at",
            "sync_id",
            "sync_token",
          ]);
          assert.ok(!columns(db, "v1_grants").includes("expansion"));
          const count = (table: string) =>
            db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
          return {
            syncId: db.prepare("SELECT sync_id FROM v1_sync_runs").pluck().get(),
            entitlements: count("v1_entitlements"),
            grants: count("v1_grants"),
          };
        });
        assert.equal(snapshot.artifact?.sourceSyncId, own.syncId);
        assert.deepEqual(snapshot.counts.resources, { group: 2, project: 2, role: 2, user: 5 });
        assert.equal(snapshot.counts.entitlements, own.entitlements);
        assert.equal(snapshot.counts.grants, own.grants);
        assert.equal(own.entitlements, 10);
        assert.equal(own.grants, 32);
      } finally {
        await snapshot.release();
      }
    });

    it("cancels with SIGINT to its process group: the connector stops itself and the failure names the reason", async () => {
      // 20,000 more users: baton-demo then spends many seconds on entitlements and grants
      // (one call per resource; about 80 s for 30,000 users on 2 cores), long enough to cancel.
      // Fewer than about 36,000: it lists them in one gRPC message, which must stay under 4 MiB.
      const big = join(dir, "big.db");
      copyFileSync(upstream, big);
      const db = new Database(big);
      const insert = db.prepare("INSERT INTO users (id, name, email) VALUES (?, ?, ?)");
      db.transaction(() => {
        for (let i = 0; i < 20_000; i++) insert.run(`u${i}`, `User ${i}`, `u${i}@example.com`);
      })();
      db.close();

      const controller = new AbortController();
      const lines: ConnectorLogLine[] = [];
      // A long grace: the connector must exit on SIGINT by itself, not be killed.
      const run = demo(["--db-file", big], lines, PROCESS_LIMIT_MS).sync(controller.signal);
      const outcome = run.then(
        () => assert.fail("the sync finished before it could be canceled"),
        (error: unknown) => error,
      );
      await until("the connector to sync entitlements", async () =>
        lines.some((l) => l.message === "Syncing entitlements..."),
      );
      const stopped = Date.now();
      controller.abort(new Error("the sync ran longer than its 1 s timeout"));
      const error = await outcome;
      assert.ok(error instanceof ConnectorError, String(error));
      assert.equal(error.retryable, true);
      assert.equal(error.message, "the sync ran longer than its 1 s timeout");
      assert.ok(Date.now() - stopped < 60_000, "stopped by SIGINT, long before its end");
      // Its own account of the interruption: SQLite's "interrupted", a canceled context, or (when
      // the signal reaches its connector subprocess first) baton's "quit unexpectedly: signal:
      // interrupt".
      assert.ok(
        lines.some(
          (l) =>
            l.level === "error" && /interrupted|context canceled|signal: interrupt/.test(l.message),
        ),
        lines.map((l) => l.message).join("\n"),
      );
      assert.deepEqual(runDirs(), []);
    });

    it("honours a stop that came before the connector started: it never runs", async () => {
      const controller = new AbortController();
      controller.abort(new Error("the worker shut down"));
      const lines: ConnectorLogLine[] = [];
      await assert.rejects(demo(["--db-file", upstream], lines).sync(controller.signal), {
        message: "the worker shut down",
      });
      assert.deepEqual(lines, []);
      const late = new AbortController();
      const run = demo(["--db-file", upstream]).sync(late.signal);
      late.abort(new Error("lease lost")); // while the run directory is being made
      await assert.rejects(run, { message: "lease lost" });
      assert.deepEqual(runDirs(), []);
    });

    it("fails with the connector's stderr when its SDK does not know a flag", async () => {
      // --storage-engine arrived in baton-sdk v0.13.5; this one is v0.2.51. It prints the error
      // without cobra's "Error: " prefix; it is still a command-line mistake: not retried.
      await assert.rejects(
        demo(["--db-file", upstream, "--storage-engine", "sqlite"]).sync(
          new AbortController().signal,
        ),
        (error: unknown) => {
          assert.ok(error instanceof ConnectorError);
          assert.equal(error.retryable, false);
          assert.match(
            error.message,
            /refused its command line \(exit 1\).*: unknown flag: --storage-engine$/,
          );
          return true;
        },
      );
      assert.deepEqual(runDirs(), []);
    });
  });

  describe("FAKE-baton-demo: faults only a fake produces", interopBinary(FAKE_BATON_DEMO), () => {
    let upstream: string;
    before(() => {
      upstream = join(dir, "fake-demo.db");
      execFileSync(
        FAKE_BATON_DEMO,
        ["--db-file", upstream, "--init-db", "--users", "4", "-f", join(dir, "fake-seed.c1z")],
        { stdio: "ignore", timeout: PROCESS_LIMIT_MS },
      );
    });
    const fake = (args: string[], lines: ConnectorLogLine[] = []) =>
      runner(FAKE_BATON_DEMO, args, lines);

    it("reads the current c1z schema of newer SDKs (sync_type, stats, grant expansion)", async () => {
      // The real baton-demo at 6090134 writes only the legacy schema.
      const snapshot = await fake(["--db-file", upstream]).sync(new AbortController().signal);
      try {
        const path = snapshot.artifact?.path ?? assert.fail("no c1z kept");
        await withC1zDatabase(path, (db) => {
          assert.ok(columns(db, "v1_sync_runs").includes("stats"));
          assert.ok(columns(db, "v1_grants").includes("expansion"));
        });
        assert.equal(snapshot.counts.resources.user, 4);
        assert.equal(snapshot.counts.grants, 8);
      } finally {
        await snapshot.release();
      }
    });

    it("kills a connector that ignores SIGINT after the grace period", async () => {
      const controller = new AbortController();
      const started = Date.now();
      const run = fake(["--db-file", upstream, "--delay", "30s", "--ignore-sigint"]).sync(
        controller.signal,
      );
      setTimeout(() => controller.abort(new Error("paused")), 200);
      await assert.rejects(run, { message: "paused" });
      const took = Date.now() - started;
      assert.ok(took >= 450 && took < 5000, `killed after the 300 ms grace (took ${took} ms)`);
    });
  });

  describe("commands that are not baton connectors", () => {
    it("reports the exit at once even when a subprocess it left holds its output open", async () => {
      const script = join(dir, "leaves-a-child.sh");
      writeFileSync(script, "#!/bin/sh\nsleep 30 &\necho 'boom: upstream refused' >&2\nexit 14\n", {
        mode: 0o755,
      });
      const started = Date.now();
      await assert.rejects(runner(script, []).sync(new AbortController().signal), {
        message: /code 14 \(UNAVAILABLE\): boom: upstream refused/,
      });
      assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
    });

    it("fails clearly when the command does not exist or writes no c1z", async () => {
      await assert.rejects(
        runner(join(dir, "no-such-connector"), []).sync(new AbortController().signal),
        (error: unknown) => {
          assert.ok(error instanceof ConnectorError);
          assert.equal(error.retryable, false);
          assert.match(error.message, /was not found \(config\.command must be an absolute path/);
          return true;
        },
      );
      await assert.rejects(runner("/bin/true", []).sync(new AbortController().signal), {
        message: /exited 0 but wrote no c1z file at --file/,
      });
      assert.deepEqual(runDirs(), []);
    });
  });
});
