// The baton connector binaries tests run. The real baton-demo cannot be installed on this
// project's machines (the Go module proxy refuses every github.com/conductorone module), so the
// suite runs FAKE-baton-demo (test/interop/fake-baton-demo): a Go program that behaves like
// baton-demo in one-shot mode and writes its c1z with the libraries baton uses. It is built by
// scripts/build-interop.sh, which .ci/run runs.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const FAKE_BATON_DEMO = join(ROOT, "test/interop/bin/fake-baton-demo");

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
