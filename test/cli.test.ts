// The syncplane CLI as a user runs it: a real process against a real server.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestServer, tempDir, type TestServer } from "./helpers/server.js";
import { PROCESS_LIMIT_MS } from "./helpers/wait.js";

const ROOT = join(import.meta.dirname, "..");
let server: TestServer;
let env: Record<string, string>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), join(ROOT, "src/cli/main.ts"), ...args],
      {
        cwd: tempDir("syncplane-cli-cwd-"),
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...extraEnv },
        timeout: PROCESS_LIMIT_MS,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A loopback port that nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const json = <T>(run: Run): T => {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
};

before(async () => {
  server = await startTestServer();
  env = { SYNCPLANE_SERVER_URL: server.url };
});
after(async () => {
  await server.stop();
});

describe("syncplane CLI", () => {
  let appId = "";
  let connectorId = "";
  let operator = { clientId: "", clientSecret: "" };

  it("issues a credential offline against the data dir of a running server", async () => {
    operator = json(
      await cli([
        "credentials",
        "create",
        "--role",
        "operator",
        "--name",
        "CI bot",
        "--data-dir",
        server.dataDir,
        "--json",
      ]),
    );
    // No --public-url: the client id names the address the running server started with.
    assert.match(operator.clientId, /^ci-bot-[0-9a-f]{8}@/);
    assert.equal(operator.clientId.split("@")[1], `${new URL(server.url).host}/syncplane`);
    assert.match(operator.clientSecret, /^secret-token:conductorone\.com:v1:/);
    const list = await cli(["credentials", "list", "--data-dir", server.dataDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /CLIENTID\s+ROLE/);
    assert.ok(list.stdout.includes(operator.clientId));
    assert.ok(!list.stdout.includes("secret-token"), "never prints secrets");
  });

  it("creates an app and a connector as admin (credential file)", async () => {
    const admin = {
      ...env,
      SYNCPLANE_CREDENTIAL_FILE: join(server.dataDir, "admin-credential.json"),
    };
    appId = json<{ app: { id: string } }>(
      await cli(["apps", "create", "--display-name", "CLI app", "--json"], admin),
    ).app.id;
    const created = json<{ connectorView: { connector: { id: string; catalogId: string } } }>(
      await cli(
        [
          "connectors",
          "create",
          "--app",
          appId,
          "--catalog",
          "file",
          "--file-path",
          "/tmp/cli-inventory.json",
          "--display-name",
          "CLI connector",
          "--json",
        ],
        admin,
      ),
    );
    connectorId = created.connectorView.connector.id;
    assert.equal(created.connectorView.connector.catalogId, "file");
    const table = await cli(["apps", "list"], admin);
    assert.match(table.stdout, /ID\s+DISPLAYNAME/);
    assert.match(table.stdout, /CLI app/);
  });

  it("runs the sync controls as an operator (client id and secret from the environment)", async () => {
    const asOperator = {
      ...env,
      SYNCPLANE_CLIENT_ID: operator.clientId,
      SYNCPLANE_CLIENT_SECRET: operator.clientSecret,
    };
    const paused = await cli(
      [
        "connectors",
        "pause",
        "--app",
        appId,
        connectorId,
        "--note",
        "maintenance",
        "--until",
        "3h",
      ],
      asOperator,
    );
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, new RegExp(`paused ${connectorId}`));
    const shown = await cli(["connectors", "get", "--app", appId, connectorId], asOperator);
    assert.match(shown.stdout, /status:\s+DISABLED/);
    assert.match(shown.stdout, /syncDisabledReason:\s+maintenance/);
    assert.match(shown.stdout, /pausedUntil:\s+\d{4}-\d\d-\d\dT/);
    const badUntil = await cli(
      ["connectors", "pause", "--app", appId, connectorId, "--until", "later"],
      asOperator,
    );
    assert.equal(badUntil.code, 1);
    assert.match(badUntil.stderr, /error: INVALID_ARGUMENT: field "until" has a bad format/);
    const refused = await cli(
      ["connectors", "force-sync", "--app", appId, connectorId],
      asOperator,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /error: FAILED_PRECONDITION: connector is paused/);
    assert.equal(
      (await cli(["connectors", "resume", "--app", appId, connectorId], asOperator)).code,
      0,
    );
    const dry = await cli(
      ["bulk", "pause", "--app", appId, "--dry-run", "--until", "1h"],
      asOperator,
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`${connectorId}\\s+would be PAUSED`));
    assert.match(dry.stdout, /would change, 0 failed \(dry run: nothing changed\)/);
    const picked = await cli(
      ["bulk", "force-sync", "--connector", connectorId, "--connector", "gone", "--dry-run"],
      asOperator,
    );
    assert.equal(picked.code, 0, picked.stderr);
    assert.match(picked.stdout, /gone\s+would be FAILED\s+connector gone not found/);
    assert.match(picked.stdout, new RegExp(`${connectorId}\\s+would be (SYNC_QUEUED|COALESCED)`));
    const emptySelector = await cli(["bulk", "resume"], asOperator);
    assert.equal(emptySelector.code, 1);
    assert.match(
      emptySelector.stderr,
      /INVALID_ARGUMENT: selector must name at least one of appId/,
    );
    assert.equal(
      (
        await cli(["connectors", "force-sync", "--app", appId, connectorId, "--json"], asOperator)
      ).stdout.trim(),
      "{}",
    );
    const syncs = json<{ list: { trigger: string; state: string }[] }>(
      await cli(
        ["syncs", "list", "--app", appId, "--connector", connectorId, "--json"],
        asOperator,
      ),
    );
    assert.deepEqual(
      syncs.list.map((s) => `${s.trigger}:${s.state}`),
      ["RESUME:QUEUED", "INITIAL:CANCELED"],
    );
    const denied = await cli(["apps", "create", "--display-name", "nope"], asOperator);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /PERMISSION_DENIED/);
  });

  it("sets, shows and clears a schedule", async () => {
    const admin = {
      ...env,
      SYNCPLANE_CREDENTIAL_FILE: join(server.dataDir, "admin-credential.json"),
    };
    const set = await cli(
      [
        "connectors",
        "schedule",
        "set",
        "--app",
        appId,
        connectorId,
        "--cron",
        "30 2 * * *",
        "--timezone",
        "America/New_York",
      ],
      admin,
    );
    assert.equal(set.code, 0, set.stderr);
    const show = await cli(["connectors", "schedule", "show", "--app", appId, connectorId], admin);
    assert.match(show.stdout, /cron:\s+30 2 \* \* \*/);
    assert.match(show.stdout, /timezone:\s+America\/New_York/);
    const fires = show.stdout.split("\n").filter((line) => /^\d{4}-\d\d-\d\dT/.test(line));
    assert.equal(fires.length, 5);
    for (const line of fires)
      assert.match(line, /T0[67]:30:00\.000Z\s+\d{4}-\d\d-\d\d 02:30 E[SD]T$/);
    const bad = await cli(
      ["connectors", "schedule", "set", "--app", appId, connectorId, "--cron", "0 0 31 2 * *"],
      admin,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_ARGUMENT: cron.cronSpec: expected 5 fields/);
    assert.equal(
      (await cli(["connectors", "schedule", "clear", "--app", appId, connectorId], admin)).code,
      0,
    );
    const cleared = await cli(
      ["connectors", "schedule", "show", "--app", appId, connectorId],
      admin,
    );
    assert.match(cleared.stdout, /no schedule: manual syncs only/);

    const fresh = await cli(
      ["connectors", "schedule", "set", "--app", appId, connectorId, "--freshness", "2h"],
      admin,
    );
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /never older than 2h/);
    const plan = await cli(
      ["connectors", "schedule", "show", "--app", appId, connectorId, "--count", "3"],
      admin,
    );
    assert.match(plan.stdout, /freshness:\s+data never older than 2h/);
    assert.match(plan.stdout, /expectedSync:\s+\d+m/);
    assert.equal(
      plan.stdout.split("\n").filter((line) => /^\d{4}-\d\d-\d\dT/.test(line)).length,
      3,
    );
    const both = await cli(
      [
        "connectors",
        "schedule",
        "set",
        "--app",
        appId,
        connectorId,
        "--freshness",
        "2h",
        "--cron",
        "@daily",
      ],
      admin,
    );
    assert.equal(both.code, 1);
    assert.match(both.stderr, /give --cron or --freshness/);
    await cli(["connectors", "schedule", "clear", "--app", appId, connectorId], admin);
  });

  it("revoking a credential locks it out", async () => {
    const revoked = await cli([
      "credentials",
      "revoke",
      operator.clientId,
      "--data-dir",
      server.dataDir,
    ]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const refused = await cli(["apps", "list"], {
      ...env,
      SYNCPLANE_CLIENT_ID: operator.clientId,
      SYNCPLANE_CLIENT_SECRET: operator.clientSecret,
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /UNAUTHENTICATED: credential .* has been revoked/);
  });

  it("says what is missing", async () => {
    const none = await cli(["apps", "list"], env);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /no credentials: set SYNCPLANE_CLIENT_ID and SYNCPLANE_CLIENT_SECRET/,
    );
    const badUrl = await cli(["apps", "list", "--server-url", "ftp://x"]);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /--server-url must be an http:\/\/ or https:\/\/ URL/);
    const port = await closedPort();
    const down = await cli(["apps", "list", "--server-url", `http://127.0.0.1:${port}`], {
      SYNCPLANE_ACCESS_TOKEN: "x",
    });
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(`^error: cannot reach http://127\\.0\\.0\\.1:${port}: connection refused`),
    );
    assert.match(down.stderr, /--server-url or SYNCPLANE_SERVER_URL/);
    const badTimeout = await cli(["apps", "list", "--timeout", "soon"], {
      SYNCPLANE_ACCESS_TOKEN: "x",
    });
    assert.equal(badTimeout.code, 2);
    assert.match(badTimeout.stderr, /--timeout must be a number of seconds/);
    const badRole = await cli([
      "credentials",
      "create",
      "--role",
      "root",
      "--data-dir",
      server.dataDir,
    ]);
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /role "root" is not known/);
  });
});

describe("syncplane credentials create", () => {
  it("refuses to bind a connector credential to a connector that does not exist", async () => {
    const run = await cli([
      "credentials",
      "create",
      "--role",
      "connector",
      "--connector",
      "nope",
      "--data-dir",
      server.dataDir,
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /connector "nope" not found/);
  });
});

describe("syncplane CLI with the sync engine", () => {
  it("watches syncs live and shows a connector's status", async () => {
    const engine = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
    try {
      const path = join(tempDir("syncplane-cli-inv-"), "inventory.json");
      writeFileSync(
        path,
        JSON.stringify({
          resourceTypes: [{ id: "user" }],
          resources: [
            { resourceType: "user", id: "u1" },
            { resourceType: "user", id: "u2" },
          ],
        }),
      );
      const admin = {
        SYNCPLANE_SERVER_URL: engine.url,
        SYNCPLANE_CREDENTIAL_FILE: join(engine.dataDir, "admin-credential.json"),
      };
      const appId = json<{ app: { id: string } }>(
        await cli(["apps", "create", "--display-name", "watched", "--json"], admin),
      ).app.id;
      const id = json<{ connectorView: { connector: { id: string } } }>(
        await cli(
          [
            "connectors",
            "create",
            "--app",
            appId,
            "--catalog",
            "file",
            "--file-path",
            path,
            "--json",
          ],
          admin,
        ),
      ).connectorView.connector.id;
      const watched = await cli(
        [
          "syncs",
          "watch",
          "--app",
          appId,
          "--connector",
          id,
          "--interval",
          "0.2",
          "--until-idle",
          "--timeout",
          "30",
        ],
        admin,
      );
      assert.equal(watched.code, 0, watched.stderr);
      assert.match(watched.stdout, /INITIAL\s+SUCCEEDED: user 2, 0 entitlements, 0 grants/);
      const status = await cli(["connectors", "status", "--app", appId, id], admin);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /status:\s+DONE/);
      assert.match(status.stdout, /lastSync:\s+\S+ INITIAL SUCCEEDED/);
      assert.match(status.stdout, /nextScheduledSync:\s+\d{4}-/);
    } finally {
      await engine.stop();
    }
  });
});
