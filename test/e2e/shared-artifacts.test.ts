// Two syncplane nodes on one PostgreSQL database (`serve --database-url`), each with a data dir
// of its own: node A runs the worker, node B only the API. A sync node A ran is downloadable and
// its log readable through node B; a grant requested through node B runs on node A against a
// copy of the applied c1z taken from the database, and its log reads on B; deleting the
// connector through B removes its files for every node. The connector is a small script that
// speaks the one-shot baton command line (`--file <path>`, `-p --file <path> --grant-…`).

import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import pg from "pg";
import { parseServeConfig } from "../../src/config/config.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { writeC1z } from "../helpers/c1z.js";
import { freshDatabaseUrl } from "../helpers/postgres.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { until } from "../helpers/wait.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BATON_CONFIG = "type.googleapis.com/syncplane.v1.BatonConnectorConfig";

describe("sync files shared by two nodes through PostgreSQL", () => {
  let url: string;
  let nodeA: TestServer;
  let nodeB: RunningServer;
  let dirB: string;
  let dir: string;
  let fixture: string;
  let script: string;

  before(async () => {
    url = await freshDatabaseUrl();
    dir = tempDir("syncplane-shared-files-");
    fixture = join(dir, "fixture.c1z");
    await writeC1z(fixture, {
      resourceTypes: [
        { id: "user", displayName: "User", traits: ["USER"] },
        { id: "group", displayName: "Group", traits: ["GROUP"] },
      ],
      resources: [
        { resourceTypeId: "user", resourceId: "u1", displayName: "User 1" },
        { resourceTypeId: "user", resourceId: "u2", displayName: "User 2" },
        { resourceTypeId: "group", resourceId: "g1", displayName: "Admins" },
      ],
      entitlements: [
        { resourceTypeId: "group", resourceId: "g1", slug: "member", displayName: "Member" },
      ],
      grants: [
        {
          entitlementId: "group:g1:member",
          principal: { resourceTypeId: "user", resourceId: "u1" },
        },
      ],
    });
    // sync: `--file <path>`; grant or revoke: `-p --file <path> …` (the c1z must be there).
    script = join(dir, "fake-connector.sh");
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        'if [ "$1" = "-p" ]; then',
        '  [ -s "$3" ] || { echo "no c1z at $3" >&2; exit 3; }',
        '  echo \'{"level":"info","msg":"granted on the copy"}\'',
        "  exit 0",
        "fi",
        'echo \'{"level":"info","msg":"syncing from the script"}\'',
        `/bin/cp '${fixture}' "$2"`,
        "",
      ].join("\n"),
    );
    chmodSync(script, 0o755);
    nodeA = await startTestServer({
      flags: { roles: "api,worker", databaseUrl: url, workerConcurrency: "1" },
    });
    dirB = tempDir("syncplane-node-b-");
    nodeB = await startServer(
      parseServeConfig(
        { dataDir: dirB, listen: "127.0.0.1:0", roles: "api", databaseUrl: url },
        {},
      ),
      { logger: pino({ level: "silent" }) },
    );
  });
  after(async () => {
    await nodeB?.close();
    await nodeA?.stop();
  });

  /** A call to node B's API with node A's admin token (both nodes share the credentials). */
  async function onB(method: string, path: string, body?: unknown): Promise<Json> {
    const response = await fetch(nodeB.url + path, {
      method,
      headers: {
        authorization: `Bearer ${await nodeA.token("admin")}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${method} ${path}: ${text}`);
    return text ? (JSON.parse(text) as Json) : {};
  }

  it("node B serves the c1z and logs of what node A ran, and removes them for both", async () => {
    const app = await onB("POST", "/api/v1/apps", { displayName: "shared" });
    const appId = app.app.id as string;
    const created = await onB("POST", `/api/v1/apps/${appId}/connectors/create`, {
      catalogId: "baton",
      displayName: "shared",
      config: { "@type": BATON_CONFIG, command: script, args: [] },
    });
    const connectorId = created.connectorView.connector.id as string;
    const base = `/api/v1/apps/${appId}/connectors/${connectorId}`;

    // Its INITIAL sync runs on node A.
    const sync = await until("the sync to succeed on node A", async () => {
      const latest = ((await onB("GET", `${base}/syncs?page_size=1`)).list as Json[])[0];
      if (latest?.state === "ERRORED") assert.fail(JSON.stringify(latest));
      return latest?.state === "SUCCEEDED" ? latest : null;
    });

    // The c1z, downloaded through node B, is the connector's file byte for byte.
    const { downloadUrl } = await onB("GET", `${base}/syncs/${sync.id}/download_url`);
    assert.ok((downloadUrl as string).startsWith(nodeB.url));
    const download = await fetch(downloadUrl as string);
    assert.equal(download.status, 200);
    assert.ok(readFileSync(fixture).equals(Buffer.from(await download.arrayBuffer())));
    const log = (await onB("GET", `${base}/syncs/${sync.id}/log`)).lines as Json[];
    const messages = log.map((line) => line.message);
    assert.ok(messages.includes("attempt 1 started"), JSON.stringify(messages));
    assert.ok(messages.includes("syncing from the script"), JSON.stringify(messages));
    assert.ok(messages.includes("attempt 1 ended SUCCEEDED"), JSON.stringify(messages));
    // Nothing of it is on either node's disk.
    assert.equal(existsSync(join(dirB, "artifacts")), false);
    assert.equal(existsSync(join(nodeA.dataDir, "artifacts")), false);

    // A grant through node B runs on node A against a copy of the applied c1z.
    const requested = await onB("POST", `${base}/provisioning/grant`, {
      entitlementId: "group:g1:member",
      principal: { resourceTypeId: "user", resourceId: "u2" },
    });
    const taskId = requested.task.id as string;
    const task = await until("the grant to end", async () => {
      const current = (await onB("GET", `${base}/provisioning/${taskId}`)).task as Json;
      return ["SUCCEEDED", "FAILED"].includes(current.state as string) ? current : null;
    });
    assert.equal(task.state, "SUCCEEDED", JSON.stringify(task));
    const taskLog = (await onB("GET", `${base}/provisioning/${taskId}/log`)).lines as Json[];
    assert.ok(
      taskLog.some((line) => line.message === "granted on the copy"),
      JSON.stringify(taskLog),
    );

    // The grant's PROVISION sync runs too; then deleting the connector through node B deletes
    // its files from the database.
    const syncs = await until("the PROVISION sync to end", async () => {
      const list = (await onB("GET", `${base}/syncs`)).list as Json[];
      return list.length === 2 && list.every((s) => s.state === "SUCCEEDED") ? list : null;
    });
    assert.deepEqual(syncs.map((s) => s.trigger).sort(), ["INITIAL", "PROVISION"]);
    await onB("DELETE", base, {});
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query(
        "SELECT count(*)::int AS n FROM artifact_files WHERE connector_id = $1",
        [connectorId],
      );
      assert.equal(rows[0]?.n, 0);
    } finally {
      await db.end();
    }
  });
});
