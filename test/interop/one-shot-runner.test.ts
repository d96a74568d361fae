// The one-shot runner on its own, with a real subprocess: output lines reach the log as they
// come, cancelling sends SIGINT (and SIGKILL to a connector that ignores it), and a command that
// cannot start or writes no file fails with a message that says so. FAKE-baton-demo stands in
// for a baton connector (see test/helpers/baton.ts).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BatonOneShotConnector,
  type ConnectorLogLine,
} from "../../src/connectors/baton/one-shot.js";
import { ConnectorError } from "../../src/connectors/runner.js";
import { FAKE_BATON_DEMO, interopBinary } from "../helpers/baton.js";
import { tempDir } from "../helpers/server.js";

describe("baton one-shot runner", interopBinary(FAKE_BATON_DEMO), () => {
  let dir: string;
  let upstream: string;
  before(() => {
    dir = tempDir("syncplane-runner-");
    upstream = join(dir, "demo.db");
    execFileSync(
      FAKE_BATON_DEMO,
      ["--db-file", upstream, "--init-db", "--users", "4", "-f", join(dir, "seed.c1z")],
      { stdio: "ignore" },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const runner = (args: string[], lines: ConnectorLogLine[] = [], command = FAKE_BATON_DEMO) =>
    new BatonOneShotConnector(
      { command, args, env: {} },
      {
        workRoot: join(dir, "runs"),
        inheritedEnv: {},
        log: (line) => lines.push(line),
        killGraceMs: 300,
      },
    );
  const runDirs = () => (existsSync(join(dir, "runs")) ? readdirSync(join(dir, "runs")) : []);

  it("syncs, streams the connector's JSON log lines, and cleans its run directory on release", async () => {
    const lines: ConnectorLogLine[] = [];
    const snapshot = await runner(["--db-file", upstream], lines).sync(
      new AbortController().signal,
    );
    assert.equal(snapshot.counts.resources.user, 4);
    assert.ok(snapshot.artifact && existsSync(snapshot.artifact.path));
    assert.match(snapshot.artifact.sourceSyncId, /^[0-9A-Za-z]{27}$/);
    assert.ok(lines.some((l) => l.message === "Sync complete" && l.level === "info"));
    assert.ok(lines.every((l) => l.stream === "stderr"));
    assert.equal(runDirs().length, 1);
    await snapshot.release();
    assert.deepEqual(runDirs(), []);
  });

  it("reads the c1z schema of old SDKs (no sync_type, no stats)", async () => {
    const snapshot = await runner(["--db-file", upstream, "--legacy-schema"]).sync(
      new AbortController().signal,
    );
    try {
      assert.equal(snapshot.counts.resources.user, 4);
      assert.equal(snapshot.counts.grants, 8);
    } finally {
      await snapshot.release();
    }
  });

  it("cancels with SIGINT: the connector stops at once and the failure names the reason", async () => {
    const controller = new AbortController();
    const lines: ConnectorLogLine[] = [];
    const started = Date.now();
    const run = runner(["--db-file", upstream, "--delay", "30s"], lines).sync(controller.signal);
    setTimeout(() => controller.abort(new Error("the sync ran longer than its 1 s timeout")), 300);
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof ConnectorError);
      assert.equal(error.retryable, true);
      assert.equal(error.message, "the sync ran longer than its 1 s timeout");
      return true;
    });
    assert.ok(Date.now() - started < 5000, "stopped well before the 30 s delay");
    assert.ok(lines.some((l) => /sync canceled: context canceled/.test(l.message)));
    assert.deepEqual(runDirs(), []);
  });

  it("kills a connector that ignores SIGINT after the grace period", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = runner(["--db-file", upstream, "--delay", "30s", "--ignore-sigint"]).sync(
      controller.signal,
    );
    setTimeout(() => controller.abort(new Error("paused")), 200);
    await assert.rejects(run, { message: "paused" });
    const took = Date.now() - started;
    assert.ok(took >= 450 && took < 5000, `killed after the 300 ms grace (took ${took} ms)`);
  });

  it("honours a stop that came before the connector started: it never runs", async () => {
    const controller = new AbortController();
    controller.abort(new Error("the worker shut down"));
    const lines: ConnectorLogLine[] = [];
    await assert.rejects(
      runner(["--db-file", upstream, "--delay", "30s"], lines).sync(controller.signal),
      { message: "the worker shut down" },
    );
    assert.deepEqual(lines, []);
    const late = new AbortController();
    const run = runner(["--db-file", upstream, "--delay", "30s"]).sync(late.signal);
    late.abort(new Error("lease lost")); // while the run directory is being made
    const started = Date.now();
    await assert.rejects(run, { message: "lease lost" });
    assert.ok(Date.now() - started < 5000);
  });

  it("reports the exit at once even when a subprocess it left holds its output open", async () => {
    const script = join(dir, "leaves-a-child.sh");
    writeFileSync(script, "#!/bin/sh\nsleep 30 &\necho 'boom: upstream refused' >&2\nexit 14\n", {
      mode: 0o755,
    });
    const started = Date.now();
    await assert.rejects(runner([], [], script).sync(new AbortController().signal), {
      message: /code 14 \(UNAVAILABLE\): boom: upstream refused/,
    });
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  });

  it("fails clearly when the command does not exist or writes no c1z", async () => {
    await assert.rejects(
      runner([], [], join(dir, "no-such-connector")).sync(new AbortController().signal),
      (error: unknown) => {
        assert.ok(error instanceof ConnectorError);
        assert.equal(error.retryable, false);
        assert.match(error.message, /was not found \(config\.command must be an absolute path/);
        return true;
      },
    );
    await assert.rejects(runner([], [], "/bin/true").sync(new AbortController().signal), {
      message: /exited 0 but wrote no c1z file at --file/,
    });
    assert.deepEqual(runDirs(), []);
  });
});
