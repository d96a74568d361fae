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

/** Something that answers API calls the way test/helpers/server.ts's TestServer does. */
interface Caller {
  call(method: string, path: string): Promise<{ body: Record<string, unknown> }>;
}

/** The connector's newest sync once it has ended (neither QUEUED nor RUNNING). */
export function newestSyncEnded(
  server: Caller,
  connectorPath: string,
): Promise<Record<string, unknown>> {
  return until(
    `the newest sync of ${connectorPath} to end`,
    async () => {
      const list = (await server.call("GET", `${connectorPath}/syncs?page_size=1`)).body
        .list as Record<string, unknown>[];
      const last = list[0];
      return last && !["QUEUED", "RUNNING"].includes(last.state as string) ? last : null;
    },
    STUCK_MS,
    50,
  );
}
