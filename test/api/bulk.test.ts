// Labels on connectors, and bulk pause/resume/force by a selector with a dry run, over real HTTP
// against a real SQLite store.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
let appId: string;
const ids: Record<string, string> = {};
const FILE = "type.googleapis.com/syncplane.v1.FileConnectorConfig";

before(async () => {
  server = await startTestServer();
  const app = await server.call("POST", "/api/v1/apps", { body: { displayName: "bulk" } });
  appId = (app.body.app as Json).id as string;
  const make = async (name: string, labels: Record<string, string>) => {
    const created = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "file",
        displayName: name,
        config: { "@type": FILE, path: "/tmp/b.json" },
        labels,
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    ids[name] = ((created.body.connectorView as Json).connector as Json).id as string;
  };
  await make("hr-a", { team: "hr", tier: "critical" });
  await make("hr-b", { team: "hr" });
  await make("it-a", { team: "it" });
});
after(async () => {
  await server.stop();
});

const base = (name: string) => `/api/v1/apps/${appId}/connectors/${ids[name]}`;
const connector = async (name: string): Promise<Json> =>
  ((await server.call("GET", base(name))).body.connectorView as Json).connector as Json;
const bulk = (action: string, body: unknown) =>
  server.call("POST", `/api/v1/bulk/connectors/${action}`, { body });
const outcomes = (body: Json) =>
  Object.fromEntries(
    (body.results as Json[]).map((r) => [
      Object.keys(ids).find((name) => ids[name] === r.connectorId),
      r.outcome,
    ]),
  );
const auditCount = async () =>
  ((await server.call("GET", "/api/v1/audit_events?page_size=500")).body.list as Json[]).length;

describe("labels", () => {
  it("are read back, replaced through an update mask, and checked", async () => {
    assert.deepEqual((await connector("hr-a")).labels, { team: "hr", tier: "critical" });
    const updated = await server.call("POST", `${base("it-a")}`, {
      body: { connector: { labels: { team: "it", env: "prod" } }, updateMask: "labels" },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual((await connector("it-a")).labels, { team: "it", env: "prod" });
    const bad = await server.call("POST", `/api/v1/apps/${appId}/connectors/create`, {
      body: {
        catalogId: "file",
        config: { "@type": FILE, path: "/tmp/b.json" },
        labels: { "no way": "x" },
      },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message as string, /field "labels" has a bad format/);
  });
});

describe("bulk operations", () => {
  it("a dry run says what would happen and changes nothing", async () => {
    const before = await auditCount();
    const dry = await bulk("pause", {
      selector: { labels: { team: "hr" } },
      dryRun: true,
      until: "2h",
    });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal(dry.body.dryRun, true);
    assert.deepEqual(outcomes(dry.body), { "hr-a": "PAUSED", "hr-b": "PAUSED" });
    assert.equal((await connector("hr-a")).canResumeSync, undefined, "not paused");
    assert.equal(await auditCount(), before, "no audit event");
  });

  it("pauses by label with a timer, one audit event per connector; resume and force report per connector", async () => {
    const before = await auditCount();
    const paused = await bulk("pause", {
      selector: { appId, labels: { team: "hr" } },
      note: "HR vendor outage",
      until: "3h",
    });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.deepEqual(outcomes(paused.body), { "hr-a": "PAUSED", "hr-b": "PAUSED" });
    assert.equal(await auditCount(), before + 2);
    const a = await connector("hr-a");
    assert.equal(a.syncDisabledReason, "HR vendor outage");
    assert.ok(Date.parse(a.pausedUntil as string) > Date.now() + 2.9 * 3600_000);
    assert.equal((await connector("it-a")).canResumeSync, undefined);

    // Force everything of the app: the paused ones fail with the single command's message.
    const forced = await bulk("force_sync", { selector: { appId } });
    assert.equal(forced.status, 200);
    const byName = outcomes(forced.body);
    assert.equal(byName["hr-a"], "FAILED");
    assert.equal(byName["hr-b"], "FAILED");
    assert.ok(["SYNC_QUEUED", "COALESCED"].includes(byName["it-a"] as string));
    const failed = (forced.body.results as Json[]).find((r) => r.connectorId === ids["hr-a"]);
    assert.match(failed?.error as string, /connector is paused/);

    // Select by hold kind and by status as it reads back.
    const dryResume = await bulk("resume", { selector: { holdKind: "PAUSED" }, dryRun: true });
    assert.deepEqual(outcomes(dryResume.body), { "hr-a": "RESUMED", "hr-b": "RESUMED" });
    const resumed = await bulk("resume", {
      selector: { appId, status: "SYNC_STATUS_DISABLED", labels: { tier: "critical" } },
    });
    assert.deepEqual(outcomes(resumed.body), { "hr-a": "RESUMED" });
    assert.equal((await connector("hr-a")).canResumeSync, undefined);
    const again = await bulk("resume", { selector: { labels: { team: "hr" } } });
    assert.deepEqual(outcomes(again.body), { "hr-a": "NOT_PAUSED", "hr-b": "RESUMED" });
  });

  it("acts on connectors picked by id across apps; a gone one is that connector's failure", async () => {
    const other = await server.call("POST", "/api/v1/apps", { body: { displayName: "other" } });
    const otherApp = (other.body.app as Json).id as string;
    const created = await server.call("POST", `/api/v1/apps/${otherApp}/connectors/create`, {
      body: {
        catalogId: "file",
        displayName: "far",
        config: { "@type": FILE, path: "/tmp/b.json" },
      },
    });
    const far = ((created.body.connectorView as Json).connector as Json).id as string;
    const picked = [ids["it-a"] as string, far, "gone-connector", ids["it-a"] as string];
    const dry = await bulk("pause", { selector: { connectorIds: picked }, dryRun: true });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    const results = dry.body.results as Json[];
    assert.deepEqual(
      results.map((r) => [r.connectorId, r.outcome]),
      [
        ["gone-connector", "FAILED"],
        ...[
          [appId, ids["it-a"]],
          [otherApp, far],
        ]
          .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1))
          .map(([, id]) => [id, "PAUSED"]),
      ],
    );
    assert.equal(results[0]?.error, "connector gone-connector not found");
    assert.equal((await connector("it-a")).canResumeSync, undefined, "a dry run pauses nothing");

    // With another field, every field must hold: only the one in `appId` is chosen.
    const paused = await bulk("pause", { selector: { connectorIds: picked.slice(0, 2), appId } });
    assert.deepEqual(outcomes(paused.body), { "it-a": "PAUSED" });
    const resumed = await bulk("resume", { selector: { connectorIds: [ids["it-a"]] } });
    assert.deepEqual(outcomes(resumed.body), { "it-a": "RESUMED" });
    const tooMany = await bulk("force_sync", {
      selector: { connectorIds: Array.from({ length: 1001 }, (_, i) => `c${i}`) },
    });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.message as string, /connectorIds/);
    const blank = await bulk("force_sync", { selector: { connectorIds: [] } });
    assert.equal(blank.status, 400);
  });

  it("refuses an empty selector, bad fields and timers on other actions, naming them", async () => {
    const refused = async (action: string, body: unknown, pattern: RegExp) => {
      const response = await bulk(action, body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.code, 3);
      assert.match(response.body.message as string, pattern);
    };
    await refused("pause", {}, /field "selector" is required/);
    await refused("pause", { selector: {} }, /^selector must name at least one of appId/);
    await refused("pause", { selector: { labels: null } }, /an empty selector would select/);
    await refused("pause", { selector: { appId: "" } }, /appId/);
    await refused("pause", { selector: { status: "PAUSED" } }, /status/);
    await refused("resume", { selector: { appId }, until: "2h" }, /unknown field "until"/);
    await refused(
      "pause",
      { selector: { appId }, until: "soon" },
      /field "until" has a bad format/,
    );
    await refused(
      "pause",
      { selector: { appId }, until: "2020-01-01T00:00:00Z" },
      /^until: must be at least 1 minute/,
    );
    await refused("pause", { selector: { appId }, bogus: 1 }, /bogus/);
    const none = await bulk("pause", { selector: { appId: "nope" } });
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.results, []);
  });
});

describe("labels in the schema", () => {
  it("refuses bad keys in the schema itself, and reads a null selector field as absent", async () => {
    const badKey = await bulk("pause", { selector: { labels: { "": "x" } }, dryRun: true });
    assert.equal(badKey.status, 400);
    const bad = await bulk("pause", { selector: { labels: { áÿV: "x" } }, dryRun: true });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message as string, /labels/);
    const nulled = await bulk("resume", { selector: { appId, labels: null }, dryRun: true });
    assert.equal(nulled.status, 200, JSON.stringify(nulled.body));
  });
});
