// Pause and ForceSync while a sync runs (in a separate worker process): the running sync
// finishes; a pause starts nothing new; forcing twice queues exactly one follow-up.

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { serveProcess, slowInventory } from "../helpers/processes.js";
import { until } from "../helpers/wait.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
let worker: ChildProcess;
let dir: string;

before(async () => {
  dir = tempDir("syncplane-running-");
  server = await startTestServer(); // API only; the worker runs in its own process
  worker = serveProcess(server.dataDir, "--roles", "worker", "--worker-lease-seconds", "30");
});
after(async () => {
  worker.kill("SIGTERM");
  await new Promise((resolve) => worker.once("exit", resolve));
  await server.stop();
});

async function slowConnector(name: string): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  slowInventory(path, 40_000);
  const app = await server.call("POST", "/api/v1/apps", { body: { displayName: name } });
  const appId = (app.body.app as Json).id as string;
  const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
    body: {
      catalogId: "file",
      config: { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path },
    },
  });
  return `/api/v1/apps/${appId}/connectors/${((created.body.connectorView as Json).connector as Json).id}`;
}

const syncs = async (base: string) =>
  (await server.call("GET", `${base}/syncs`)).body.list as Json[];
const runningInitial = (base: string) =>
  until("the INITIAL sync to run", async () =>
    (await syncs(base)).find((s) => s.trigger === "INITIAL" && s.state === "RUNNING"),
  );

describe("while a sync runs", () => {
  it("pause lets it finish and starts nothing new; resume runs exactly one sync", async () => {
    const base = await slowConnector("pause");
    await runningInitial(base);
    assert.equal((await server.call("POST", `${base}/pause`)).status, 200);
    const connector = ((await server.call("GET", base)).body.connectorView as Json)
      .connector as Json;
    assert.equal(connector.status.status, "SYNC_STATUS_DISABLED");
    await until(
      "the running sync to finish",
      async () => (await syncs(base))[0]?.state === "SUCCEEDED",
    );
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the worker polls: give it the chance to misbehave
    assert.deepEqual(
      (await syncs(base)).map((s) => `${s.trigger}:${s.state}`),
      ["INITIAL:SUCCEEDED"],
    );
    await server.call("POST", `${base}/resume`);
    await until(
      "the RESUME sync",
      async () => (await syncs(base))[0]?.state === "SUCCEEDED" && (await syncs(base)).length === 2,
    );
    assert.deepEqual(
      (await syncs(base)).map((s) => `${s.trigger}:${s.state}`),
      ["RESUME:SUCCEEDED", "INITIAL:SUCCEEDED"],
    );
  });

  it("forcing twice queues exactly one follow-up, which runs after", async () => {
    const base = await slowConnector("force");
    await runningInitial(base);
    await server.call("POST", `${base}/force_sync`);
    await server.call("POST", `${base}/force_sync`);
    const queued = (await syncs(base)).filter((s) => s.state === "QUEUED");
    assert.equal(queued.length, 1);
    await until("both syncs to finish", async () => {
      const all = await syncs(base);
      return all.length === 2 && all.every((s) => s.state === "SUCCEEDED");
    });
    assert.deepEqual(
      (await syncs(base)).map((s) => s.trigger),
      ["FORCE", "INITIAL"],
    );
  });
});
