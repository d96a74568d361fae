import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batonRunEnv, classifyBatonExit } from "./baton.js";

const exit = (code: number | null, stderrTail: string[] = [], signal: string | null = null) =>
  classifyBatonExit({ code, signal, stderrTail, stoppedByUs: false });

describe("baton exits", () => {
  it("treats gRPC exit codes of baton ≥ 0.25 as hints: unavailable retries, unauthenticated does not", () => {
    assert.deepEqual(exit(14, ["dial tcp: connection refused"]), {
      retryable: true,
      message: "the connector exited with code 14 (UNAVAILABLE): dial tcp: connection refused",
    });
    const denied = exit(16, ["invalid api key"]);
    assert.equal(denied.retryable, false);
    assert.match(denied.message, /UNAUTHENTICATED.*invalid api key/);
    assert.equal(exit(7).retryable, false);
    assert.equal(exit(3).retryable, false);
    assert.equal(exit(4).retryable, true);
  });

  it("retries the generic exit 1 of older SDKs, unless stderr shows a command-line mistake", () => {
    assert.equal(exit(1, ["error: upstream timed out"]).retryable, true);
    const usage = exit(1, ["Error: unknown flag: --bogus", "Run 'baton-demo --help' for usage."]);
    assert.equal(usage.retryable, false);
    assert.match(usage.message, /refused its command line \(exit 1\); check config\.args/);
    assert.match(usage.message, /unknown flag: --bogus/);
    assert.equal(exit(1, ["Error: flag needs an argument: --db-file"]).retryable, false);
    // baton-demo (baton-sdk v0.2.51, its own main) prints cobra's error without "Error: ".
    assert.equal(exit(1, ["unknown flag: --storage-engine"]).retryable, false);
    assert.equal(
      exit(1, ['invalid argument "x" for "--workers" flag: strconv.ParseInt']).retryable,
      false,
    );
    assert.equal(exit(1, ["invalid argument"]).retryable, true, "only cobra's own wording");
  });

  it("says so when there is no stderr, names the signal of a killed connector, clips long output", () => {
    assert.match(exit(2).message, /code 2 \(UNKNOWN\): it wrote nothing to stderr/);
    const killed = exit(null, ["fatal error: out of memory"], "SIGKILL");
    assert.equal(killed.retryable, true);
    assert.match(killed.message, /killed by SIGKILL: fatal error: out of memory/);
    const long = exit(1, ["x".repeat(5000)]);
    assert.ok(long.message.length <= 2001);
    assert.ok(long.message.startsWith("…"));
    assert.equal(exit(99).retryable, true);
  });
});

describe("baton run environment", () => {
  it("keeps the inherited basics and the config's variables, forces syncplane's, refuses service-mode ones", () => {
    const env = batonRunEnv(
      { PATH: "/usr/bin", HOME: "/root" },
      {
        DEMO_TOKEN: "t",
        BATON_CLIENT_ID: "x@host/y",
        BATON_CLIENT_SECRET: "s",
        BATON_STORAGE_ENGINE: "pebble",
        TZ: "Asia/Tokyo",
      },
      "/run/tmp",
    );
    assert.deepEqual(env, {
      PATH: "/usr/bin",
      HOME: "/root",
      DEMO_TOKEN: "t",
      TMPDIR: "/run/tmp",
      BATON_STORAGE_ENGINE: "sqlite",
      BATON_LOG_FORMAT: "json",
      TZ: "UTC",
    });
  });
});
