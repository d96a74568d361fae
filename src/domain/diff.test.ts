import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseDiffBase, diffTotals, laneIndex, parseDiffFilter } from "./diff.js";
import { AppError } from "./errors.js";
import { NEVER_SYNCED, type ConnectorRecord, type SyncRecord } from "./model.js";

const connector = (applied: string | null, previous: string | null): ConnectorRecord => ({
  id: "c1",
  appId: "a1",
  displayName: "c",
  description: "",
  catalogId: "file",
  config: null,
  configUpdatedAt: null,
  disableCheckBadSync: false,
  syncResourceTypeIds: [],
  userIds: [],
  syncStatus: NEVER_SYNCED,
  appliedSyncId: applied,
  previousAppliedSyncId: previous,
  dataDropPolicy: null,
  labels: {},
  createdAt: 0,
  updatedAt: 0,
  deletedAt: null,
});
const counts = { resources: {}, entitlements: 0, grants: 0 };
const sync = (id: string, state: SyncRecord["state"], overrides: Partial<SyncRecord> = {}) =>
  ({ id, state, counts, baselineCounts: counts, ...overrides }) as SyncRecord;

const refused = (fn: () => unknown, code: string, pattern: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof AppError && e.codeName === code && pattern.test(e.message),
  );

describe("diff filters", () => {
  it("take every lane by default, in kind then change order", () => {
    const all = parseDiffFilter(undefined, "", undefined);
    assert.deepEqual(
      all.lanes.map((l) => `${l.kind}/${l.change}`),
      [
        "resources/removed",
        "resources/added",
        "entitlements/removed",
        "entitlements/added",
        "grants/removed",
        "grants/added",
      ],
    );
    assert.deepEqual(all.lanes.map(laneIndex), [0, 1, 2, 3, 4, 5]);
    const one = parseDiffFilter("grants", "added", "user");
    assert.deepEqual(one, { lanes: [{ kind: "grants", change: "added" }], resourceTypeId: "user" });
  });

  it("refuse unknown values, naming the allowed ones", () => {
    refused(
      () => parseDiffFilter("users", undefined, undefined),
      "INVALID_ARGUMENT",
      /kind must be one of resources, entitlements, grants/,
    );
    refused(
      () => parseDiffFilter(undefined, "changed", undefined),
      "INVALID_ARGUMENT",
      /change must be one of removed, added/,
    );
  });
});

describe("the diff's base", () => {
  it("is the applied sync; for the applied sync, the one it replaced", () => {
    const c = connector("s2", "s1");
    assert.equal(chooseDiffBase(c, sync("s3", "ERRORED_NO_DATA")), "s2");
    assert.equal(chooseDiffBase(c, sync("s2", "SUCCEEDED")), "s1");
    assert.equal(chooseDiffBase(c, sync("s1", "SUCCEEDED")), "s2");
    // The first data: compared with nothing.
    assert.equal(
      chooseDiffBase(connector("s1", null), sync("s1", "SUCCEEDED", { baselineCounts: null })),
      null,
    );
  });

  it("is refused with the reason when a sync's rows are not kept", () => {
    const c = connector("s2", "s1");
    refused(
      () => chooseDiffBase(c, sync("s4", "RUNNING")),
      "FAILED_PRECONDITION",
      /RUNNING.*wait until it ends/,
    );
    refused(
      () => chooseDiffBase(c, sync("s0", "SUCCEEDED")),
      "FAILED_PRECONDITION",
      /no longer keeps its inventory/,
    );
    refused(
      () => chooseDiffBase(c, sync("s5", "ERRORED", { counts: null })),
      "FAILED_PRECONDITION",
      /without reading any data/,
    );
    refused(
      () => chooseDiffBase(connector("s2", null), sync("s2", "SUCCEEDED")),
      "FAILED_PRECONDITION",
      /the sync it replaced/,
    );
  });
});

describe("diff totals", () => {
  it("sum per kind and per resource type, types in id order", () => {
    const totals = diffTotals([
      { kind: "grants", change: "removed", resourceTypeId: "group", n: 3 },
      { kind: "resources", change: "removed", resourceTypeId: "user", n: 2 },
      { kind: "resources", change: "added", resourceTypeId: "user", n: 1 },
      { kind: "grants", change: "removed", resourceTypeId: "app", n: 4 },
    ]);
    assert.deepEqual(totals.grants, { removed: 7, added: 0 });
    assert.deepEqual(totals.resources, { removed: 2, added: 1 });
    assert.deepEqual(
      totals.byResourceType.map((t) => t.resourceTypeId),
      ["app", "group", "user"],
    );
    assert.deepEqual(totals.byResourceType[2]?.resources, { removed: 2, added: 1 });
  });
});
