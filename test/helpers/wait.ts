// Polling for a condition in tests that watch a running system: bounded, with a clear failure.
//
// Tests wait on conditions, never on a fixed time a slow machine misses: a wait ends as soon as
// its condition holds, so its bound costs nothing when things work and only decides when a test
// that is really stuck fails. The bounds are generous on purpose — CI runs on 2 shared cores and
// the suite must pass with the machine loaded (a CPU-bound process beside it runs it 2–4×
// slower).

import assert from "node:assert/strict";

/** How long a condition may take to come true before the test is declared stuck. */
export const STUCK_MS = 120_000;

/** How long a subprocess a test runs (the CLI, a helper) may take before it is killed. */
export const PROCESS_LIMIT_MS = 180_000;

export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = STUCK_MS,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
