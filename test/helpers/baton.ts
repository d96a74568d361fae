// The interop binaries tests run, all built into test/interop/bin by scripts/build-interop.sh
// (which .ci/run runs): the REAL baton-demo (commit 6090134, installed through ../shared/goproxy),
// the official C1 Go SDK's driver program (test/interop/go-sdk), and FAKE-baton-demo
// (test/interop/fake-baton-demo), kept only for faults the real connector cannot produce.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROCESS_LIMIT_MS } from "./wait.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const FAKE_BATON_DEMO = join(ROOT, "test/interop/bin/fake-baton-demo");

/**
 * test/interop/go-sdk built: drives syncplane with the official C1 Go SDK (conductorone-sdk-go
 * v1.27.1, unmodified); built by scripts/build-interop.sh through ../shared/goproxy.
 */
export const C1_GO_SDK = join(ROOT, "test/interop/bin/c1-go-sdk");

/**
 * The REAL baton-demo connector (github.com/conductorone/baton-demo at commit 6090134, baton-sdk
 * v0.2.51), installed by scripts/build-interop.sh with `go install` through ../shared/goproxy.
 * Tests use it wherever a real connector can do the job; FAKE_BATON_DEMO stays for the faults only
 * the fake can produce (exit codes, Pebble output, slow runs, ignored SIGINT, schema variants).
 */
export const BATON_DEMO = join(ROOT, "test/interop/bin/baton-demo");

/**
 * Options for node:test's `describe`: skip loudly when the binary is missing on a developer's
 * machine; in CI (SYNCPLANE_REQUIRE_INTEROP=1, set by .ci/run) a missing binary fails instead.
 */
export function interopBinary(path: string): { skip: string | false } {
  if (existsSync(path)) return { skip: false };
  const why = `${path} is missing: run scripts/build-interop.sh (needs Go)`;
  if (process.env.SYNCPLANE_REQUIRE_INTEROP === "1") throw new Error(why);
  console.warn(`SKIPPING interop tests: ${why}`);
  return { skip: why };
}

/**
 * An upstream database for the real baton-demo in `dir`, seeded by a one-off run of the connector
 * (its --init-db); returns its path.
 */
export function seedBatonDemo(dir: string, name: string): string {
  const db = join(dir, `${name}.db`);
  execFileSync(BATON_DEMO, ["--db-file", db, "--init-db", "--file", join(dir, `${name}.c1z`)], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", TZ: "UTC" },
    stdio: "ignore",
    timeout: PROCESS_LIMIT_MS,
  });
  return db;
}
