// `syncplane inventory …`, `syncs log`, `syncs download` and `provisioning …` as a user runs them:
// the real CLI in its own process against a real server with the sync engine, syncing a file
// connector.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { progressLine } from "../src/cli/syncs.js";
import { writeDirectory } from "./helpers/inventory.js";
import {
  createAppAndConnector,
  startTestServer,
  tempDir,
  type TestServer,
} from "./helpers/server.js";
import { PROCESS_LIMIT_MS, STUCK_MS, until } from "./helpers/wait.js";

const ROOT = join(import.meta.dirname, "..");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: TestServer;
let env: Record<string, string>;
let ids: { appId: string; connectorId: string; base: string };
let syncId = "";

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), join(ROOT, "src/cli/main.ts"), ...args],
      {
        cwd: tempDir("syncplane-cli-cwd-"),
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        timeout: PROCESS_LIMIT_MS,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = <T>(run: Run): T => {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
};

/** --app and --connector of the test's connector. */
const at = () => ["--app", ids.appId, "--connector", ids.connectorId];

before(async () => {
  server = await startTestServer({ flags: { roles: "api,scheduler,worker" } });
  env = {
    SYNCPLANE_SERVER_URL: server.url,
    SYNCPLANE_CREDENTIAL_FILE: join(server.dataDir, "admin-credential.json"),
  };
  const path = join(tempDir("syncplane-cli-inventory-"), "inventory.json");
  writeDirectory(path, 5, 3); // u0…u4 and group g1; g1:member granted to u0, u1, u2
  ids = await createAppAndConnector(server, { path });
  syncId = await until(
    "the initial sync to succeed",
    async () => {
      const { body } = await server.call("GET", `${ids.base}/syncs`);
      const list = body.list as { id: string; trigger: string; state: string }[];
      const initial = list.find((sync) => sync.trigger === "INITIAL");
      if (initial?.state === "FAILED" || initial?.state === "ERRORED_NO_DATA")
        assert.fail(`initial sync ended ${initial.state}`);
      return initial?.state === "SUCCEEDED" ? initial.id : null;
    },
    STUCK_MS,
    50,
  );
});
after(async () => {
  await server.stop();
});

describe("syncplane inventory", () => {
  it("lists the resource types as a table", async () => {
    const run = await cli(["inventory", "resource-types", ...at()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ID\s+DISPLAYNAME\s+TRAITS/);
    assert.match(run.stdout, /^group\s.*GROUP/m);
    assert.match(run.stdout, /^user\s.*USER/m);
    assert.match(run.stdout, new RegExp(`^sync: ${syncId}$`, "m"));
    const listed = json<{ syncId: string; list: { id: string }[] }>(
      await cli(["inventory", "resource-types", ...at(), "--json"]),
    );
    assert.equal(listed.syncId, syncId);
    assert.deepEqual(listed.list.map((t) => t.id).sort(), ["group", "user"]);
  });

  it("pages resources: one page with a hint, or every page with --all", async () => {
    const one = await cli([
      "inventory",
      "resources",
      ...at(),
      "--type",
      "user",
      "--page-size",
      "2",
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^TYPE\s+ID\s+DISPLAYNAME/);
    assert.equal(one.stdout.split("\n").filter((line) => line.startsWith("user ")).length, 2);
    const token = /^next page: --page-token (\S+)/m.exec(one.stdout)?.[1];
    assert.ok(token, one.stdout);
    const second = json<{ list: { resourceId: string }[]; nextPageToken?: string }>(
      await cli([
        "inventory",
        "resources",
        ...at(),
        "--type",
        "user",
        "--page-size",
        "2",
        "--page-token",
        token,
        "--json",
      ]),
    );
    assert.deepEqual(
      second.list.map((r) => r.resourceId),
      ["u2", "u3"],
    );
    assert.ok(second.nextPageToken);

    const all = json<{
      syncId: string;
      list: { resourceTypeId: string }[];
      nextPageToken?: string;
    }>(
      await cli([
        "inventory",
        "resources",
        ...at(),
        "--type",
        "user",
        "--page-size",
        "2",
        "--all",
        "--json",
      ]),
    );
    assert.equal(all.list.length, 5);
    assert.ok(all.list.every((r) => r.resourceTypeId === "user"));
    assert.equal(all.nextPageToken, undefined);
    assert.equal(all.syncId, syncId);
    const everything = json<{ list: unknown[] }>(
      await cli(["inventory", "resources", ...at(), "--all", "--json"]),
    );
    assert.equal(everything.list.length, 6);
  });

  it("lists entitlements and grants, filtered", async () => {
    const entitlements = json<{ list: { id: string; slug: string; resourceId: string }[] }>(
      await cli([
        "inventory",
        "entitlements",
        ...at(),
        "--type",
        "group",
        "--resource",
        "g1",
        "--json",
      ]),
    );
    assert.equal(entitlements.list.length, 1);
    const member = entitlements.list[0];
    assert.equal(member?.slug, "member");
    assert.equal(member?.resourceId, "g1");

    const grants = json<{
      list: { entitlementId: string; principal: { resourceTypeId: string; resourceId: string } }[];
    }>(await cli(["inventory", "grants", ...at(), "--principal", "user:u1", "--json"]));
    assert.equal(grants.list.length, 1);
    assert.equal(grants.list[0]?.entitlementId, member?.id);
    assert.deepEqual(grants.list[0]?.principal, { resourceTypeId: "user", resourceId: "u1" });
    const none = json<{ list: unknown[] }>(
      await cli(["inventory", "grants", ...at(), "--principal", "user:u4", "--json"]),
    );
    assert.deepEqual(none.list, []);

    const table = await cli(["inventory", "grants", ...at(), "--entitlement", member?.id ?? ""]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ENTITLEMENT\s+PRINCIPAL/);
    for (const user of ["u0", "u1", "u2"])
      assert.match(table.stdout, new RegExp(`user:${user}\\b`));
    assert.doesNotMatch(table.stdout, /user:u3\b/);
  });

  it("says what is wrong with a filter", async () => {
    const principal = await cli(["inventory", "grants", ...at(), "--principal", "u1"]);
    assert.equal(principal.code, 1);
    assert.match(principal.stderr, /--principal takes <resource type>:<resource id>/);
    const resource = await cli(["inventory", "entitlements", ...at(), "--resource", "g1"]);
    assert.equal(resource.code, 1);
    assert.match(resource.stderr, /--resource needs --type/);
    const sync = await cli(["inventory", "resources", ...at(), "--sync", "nope"]);
    assert.equal(sync.code, 1);
    assert.match(sync.stderr, /error: NOT_FOUND: sync "nope" not found/);
  });
});

describe("syncplane syncs log, diff and download", () => {
  it("prints a sync's log as text lines and as JSON", async () => {
    const log = json<{ lines: { at: string; stream: string; level: string; message: string }[] }>(
      await cli(["syncs", "log", syncId, ...at(), "--json"]),
    );
    assert.ok(log.lines.length > 0);
    assert.ok(log.lines.some((line) => line.message === "attempt 1 started"));
    const text = await cli(["syncs", "log", syncId, ...at()]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^\d{4}-\d\d-\d\dT\S+Z\s+INFO\s+attempt 1 started$/m);
  });

  it("prints a sync's diff: totals per type, then the changed rows", async () => {
    // The initial sync is the connector's first data: compared with nothing, all of it is new.
    const text = await cli(["syncs", "diff", syncId, ...at(), "--kind", "grants"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /compared with nothing \(first data\)/);
    assert.match(text.stdout, /^\(all\)\s+-0 \+6\s+-0 \+1\s+-0 \+3\s*$/m);
    assert.match(
      text.stdout,
      /^added\s+grants\s+group\s+group:g1:member:user:u0\s+user:u0 → group:g1:member/m,
    );
    const page = json<{ list: { kind: string }[]; nextPageToken?: string }>(
      await cli(["syncs", "diff", syncId, ...at(), "--page-size", "2", "--json"]),
    );
    assert.equal(page.list.length, 2);
    assert.ok(page.nextPageToken);
    const bad = await cli(["syncs", "diff", syncId, ...at(), "--change", "changed"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /change/);
  });

  it("refuses to download a c1z that a file connector never kept", async () => {
    const out = join(tempDir("syncplane-cli-download-"), "sync.c1z");
    const run = await cli(["syncs", "download", syncId, ...at(), "--out", out]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`error: NOT_FOUND: sync "${syncId}" has no c1z file`));
    assert.equal(run.stdout, "");
    assert.equal(existsSync(out), false);
  });
});

describe("syncplane provisioning", () => {
  interface Task {
    id: string;
    state: string;
    result?: string;
  }
  const task = (run: Run) => json<{ task: Task }>(run).task;
  const ended = (id: string) =>
    until(`task ${id} to end`, async () => {
      const t = task(await cli(["provisioning", "get", id, ...at(), "--json"]));
      return ["SUCCEEDED", "FAILED", "CANCELED"].includes(t.state) ? t : null;
    });

  it("grants, holds a grant while paused, cancels it, revokes, and shows the queue", async () => {
    const granted = task(
      await cli([
        "provisioning",
        "grant",
        "group:g1:member",
        ...at(),
        "--principal-type",
        "user",
        "--principal",
        "u4",
        "--note",
        "onboarding",
        "--json",
      ]),
    );
    assert.equal((await ended(granted.id)).state, "SUCCEEDED");

    assert.equal((await cli(["connectors", "pause", ids.connectorId, "--app", ids.appId])).code, 0);
    const held = await cli([
      "provisioning",
      "grant",
      "group:g1:member",
      ...at(),
      "--principal-type",
      "user",
      "--principal",
      "u3",
    ]);
    assert.equal(held.code, 0, held.stderr);
    assert.match(held.stdout, /^state:\s+HELD \(PAUSED\)$/m);
    const heldId = /^id:\s+(\S+)$/m.exec(held.stdout)?.[1] as string;
    const status = await cli(["connectors", "status", ids.connectorId, "--app", ids.appId]);
    assert.match(status.stdout, /^provisioning:\s+0 queued, 1 held, 0 running$/m);
    const list = await cli(["provisioning", "list", ...at(), "--state", "HELD"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${heldId}\\s+GRANT\\s+HELD \\(PAUSED\\)`));
    const canceled = task(await cli(["provisioning", "cancel", heldId, ...at(), "--json"]));
    assert.equal(canceled.state, "CANCELED");
    const refused = await cli(["provisioning", "cancel", heldId, ...at()]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /FAILED_PRECONDITION: task .* is CANCELED/);
    assert.equal(
      (await cli(["connectors", "resume", ids.connectorId, "--app", ids.appId])).code,
      0,
    );

    const revoked = task(
      await cli(["provisioning", "revoke", "group:g1:member:user:u2", ...at(), "--json"]),
    );
    assert.equal((await ended(revoked.id)).state, "SUCCEEDED");
    const log = await cli(["provisioning", "log", revoked.id, ...at()]);
    assert.match(log.stdout, /INFO\s+REVOKE succeeded$/m);
    const unknown = await cli(["provisioning", "revoke", "group:g1:member:user:nobody", ...at()]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /NOT_FOUND: grant "group:g1:member:user:nobody" not found/);
  });
});

describe("syncplane syncs get, a running sync", () => {
  it("says its phase, time against the usual, the estimate and the connector's message", () => {
    assert.equal(
      progressLine({
        phase: "CONNECTOR",
        message: "Syncing users",
        elapsed: "33s",
        typicalDuration: "1m",
        estimatedFraction: 0.55,
      }),
      "CONNECTOR, 33s of usually 1m (~55%, estimate): Syncing users",
    );
    assert.equal(
      progressLine({
        elapsed: "2m",
        typicalDuration: "1m",
        estimatedFraction: 0.99,
        overdue: true,
      }),
      "STARTING, 2m of usually 1m (~99%, estimate; longer than usual)",
    );
    assert.equal(progressLine({ phase: "STORING", elapsed: "5s" }), "STORING, 5s so far");
  });
});
