import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConnectorConfig } from "./catalog.js";
import { connectorControlView } from "./connector-view.js";
import { AppError } from "./errors.js";
import { claimBlocked, forceSyncBlockedBy, scheduleMayEnqueue, type Hold } from "./holds.js";
import { isKsuidShaped, ksuidFrom } from "./ids.js";
import { encodePageToken, parsePageRequest } from "./pagination.js";
import { roleAllows } from "./roles.js";
import { canTransition, shouldEnqueue } from "./syncs.js";
import type { ConnectorSyncStatus } from "./model.js";

const paused: Hold = { kind: "PAUSED", actor: "ops@x/y", note: "", createdAt: 1000 };
const dataDrop: Hold = {
  kind: "DATA_DROP",
  actor: "system",
  note: "user: 1000 → 12 (-98.8%)",
  createdAt: 2000,
};
const done: ConnectorSyncStatus = {
  status: "SYNC_STATUS_DONE",
  startedAt: 1,
  completedAt: 2,
  updatedAt: 2,
  lastError: "",
};

describe("ids", () => {
  it("are 27 base62 characters and sort by time", () => {
    const early = ksuidFrom(Date.parse("2026-01-01T00:00:00Z"), new Uint8Array(16).fill(255));
    const late = ksuidFrom(Date.parse("2026-01-01T00:00:01Z"), new Uint8Array(16));
    assert.ok(isKsuidShaped(early) && isKsuidShaped(late));
    assert.ok(early < late);
  });
});

describe("coalescing", () => {
  it("queues when nothing is queued, even while a sync runs", () => {
    assert.equal(shouldEnqueue({ queued: 0, running: 0 }), true);
    assert.equal(shouldEnqueue({ queued: 0, running: 1 }), true);
  });
  it("absorbs requests into a queued sync", () => {
    assert.equal(shouldEnqueue({ queued: 1, running: 0 }), false);
    assert.equal(shouldEnqueue({ queued: 1, running: 1 }), false);
  });
});

describe("lifecycle transitions", () => {
  it("allows the documented ones only", () => {
    assert.ok(canTransition("QUEUED", "RUNNING"));
    assert.ok(canTransition("QUEUED", "CANCELED"));
    assert.ok(canTransition("ERRORED_NO_DATA", "CONFIRMED"));
    assert.ok(canTransition("ERRORED_NO_DATA", "SUPERSEDED"));
    assert.ok(!canTransition("SUCCEEDED", "CONFIRMED"));
    assert.ok(!canTransition("CANCELED", "QUEUED"));
    assert.ok(!canTransition("ERRORED", "RUNNING"));
  });
});

describe("holds", () => {
  it("block the schedule whatever their kind", () => {
    assert.equal(scheduleMayEnqueue([]), true);
    assert.equal(scheduleMayEnqueue([paused]), false);
    assert.equal(scheduleMayEnqueue([dataDrop]), false);
  });
  it("refuse ForceSync only while paused", () => {
    assert.equal(forceSyncBlockedBy([dataDrop]), undefined);
    assert.equal(forceSyncBlockedBy([dataDrop, paused]), paused);
  });
  it("let a person's sync run under a data-drop hold, never while paused", () => {
    assert.equal(claimBlocked([dataDrop], "FORCE"), false);
    assert.equal(claimBlocked([dataDrop], "SCHEDULE"), true);
    assert.equal(claimBlocked([paused], "FORCE"), true);
    assert.equal(claimBlocked([], "SCHEDULE"), false);
  });
});

describe("connector read model", () => {
  it("shows a pause as DISABLED and resumable", () => {
    const view = connectorControlView([paused], done);
    assert.equal(view.status.status, "SYNC_STATUS_DISABLED");
    assert.equal(view.canResumeSync, true);
    assert.equal(view.syncDisabledCategory, "PAUSED");
    assert.equal(view.syncDisabledAt, 1000);
    assert.equal(view.syncDisabledReason, "paused by ops@x/y");
  });
  it("shows a data-drop hold without making it resumable", () => {
    const view = connectorControlView([dataDrop], { ...done, status: "SYNC_STATUS_ERROR" });
    assert.equal(view.status.status, "SYNC_STATUS_ERROR");
    assert.equal(view.canResumeSync, false);
    assert.equal(view.syncDisabledCategory, "DATA_DROP");
    assert.equal(view.syncDisabledReason, "user: 1000 → 12 (-98.8%)");
  });
  it("passes the engine status through when there is no hold", () => {
    const view = connectorControlView([], done);
    assert.deepEqual(view.status, done);
    assert.equal(view.canResumeSync, false);
    assert.equal(view.syncDisabledAt, null);
  });
});

describe("roles", () => {
  it("grant controls to operators but not writes", () => {
    assert.ok(roleAllows("operator", "connectors.control"));
    assert.ok(!roleAllows("operator", "connectors.write"));
    assert.ok(!roleAllows("viewer", "connectors.control"));
    assert.ok(roleAllows("viewer", "connectors.read"));
    assert.ok(!roleAllows("connector", "connectors.read"));
    assert.ok(roleAllows("admin", "apps.write"));
  });
});

describe("pagination", () => {
  it("round-trips tokens and clamps sizes", () => {
    const page = parsePageRequest("1000", encodePageToken("abc"));
    assert.deepEqual(page, { pageSize: 500, after: "abc" });
    assert.equal(parsePageRequest(undefined, undefined).pageSize, 50);
  });
  it("refuses foreign tokens and bad sizes", () => {
    assert.throws(() => parsePageRequest(undefined, "not-a-token"), AppError);
    assert.throws(() => parsePageRequest("-1", undefined), AppError);
  });
});

describe("connector configs", () => {
  it("validate per catalog id", () => {
    assert.deepEqual(
      parseConnectorConfig("file", {
        "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig",
        path: "/x.json",
      }),
      { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path: "/x.json" },
    );
    const baton = parseConnectorConfig("baton", {
      "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
      command: "baton-demo",
    });
    assert.deepEqual(baton, {
      "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
      command: "baton-demo",
      args: [],
      env: {},
      timeoutSeconds: 3600,
    });
  });
  it("refuse wrong types, relative paths and unknown fields", () => {
    const bad = (catalog: "file" | "baton", config: unknown, pattern: RegExp) =>
      assert.throws(
        () => parseConnectorConfig(catalog, config),
        (e: unknown) => e instanceof AppError && pattern.test(e.message),
      );
    bad(
      "file",
      { "@type": "x", path: "/a" },
      /must be "type.googleapis.com\/syncplane.v1.FileConnectorConfig"/,
    );
    bad(
      "file",
      { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path: "a.json" },
      /absolute path/,
    );
    bad(
      "file",
      { "@type": "type.googleapis.com/syncplane.v1.FileConnectorConfig", path: "/a", extra: 1 },
      /unknown field "extra"/,
    );
    bad(
      "baton",
      { "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig", command: "" },
      /config.command is required/,
    );
    bad(
      "baton",
      {
        "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
        command: "x",
        env: { A: 1 },
      },
      /config.env.A must be a string/,
    );
    const batonWith = (extra: Record<string, unknown>) => ({
      "@type": "type.googleapis.com/syncplane.v1.BatonConnectorConfig",
      command: "x",
      ...extra,
    });
    bad("baton", batonWith({ env: { BATON_CLIENT_ID: "a" } }), /switches|service mode/);
    bad("baton", batonWith({ env: { TZ: "Asia/Tokyo" } }), /syncplane sets it to "UTC"/);
    bad("baton", batonWith({ args: ["--client-secret=s"] }), /cannot contain --client-secret/);
    // Names that happen to be Object.prototype members are ordinary variables.
    assert.deepEqual(
      parseConnectorConfig("baton", batonWith({ env: { constructor: "c", toString: "t" } }))?.env,
      { constructor: "c", toString: "t" },
    );
  });
});

describe("ksuid encoding", () => {
  it("matches the reference encoding of the KSUID spec", () => {
    // From the KSUID reference: 0ujtsYcgvSTl8PAuAdqWYSMnLOv has timestamp 107608047 and this payload.
    const payload = Uint8Array.from(Buffer.from("B5A1CD34B5F99D1154FB6853345C9735", "hex"));
    const ms = (107608047 + 1_400_000_000) * 1000;
    assert.equal(ksuidFrom(ms, payload), "0ujtsYcgvSTl8PAuAdqWYSMnLOv");
  });
  it("encodes the extremes", () => {
    assert.equal(ksuidFrom(1_400_000_000_000, new Uint8Array(16)), "000000000000000000000000000");
    assert.equal(
      ksuidFrom((1_400_000_000 + 0xffffffff) * 1000, new Uint8Array(16).fill(255)),
      "aWgEPTl1tmebfsQzFP4bxwgy80V",
    );
  });
});

describe("lost leases", () => {
  it("requeue until the attempts run out, unless a queued sync takes over", async () => {
    const { onLostLease } = await import("./syncs.js");
    assert.deepEqual(onLostLease(1, 3, false), { kind: "requeue" });
    assert.equal(onLostLease(3, 3, false).kind, "error");
    assert.match((onLostLease(3, 3, false) as { message: string }).message, /3 times; giving up/);
    assert.equal(onLostLease(1, 3, true).kind, "coalesced");
  });
});
