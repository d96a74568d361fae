import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSelector, selects } from "./bulk.js";
import { AppError } from "./errors.js";
import type { Hold } from "./holds.js";
import { NEVER_SYNCED, type ConnectorRecord } from "./model.js";

const connector = (overrides: Partial<ConnectorRecord> = {}): ConnectorRecord => ({
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
  syncStatus: { ...NEVER_SYNCED, status: "SYNC_STATUS_DONE" },
  appliedSyncId: null,
  previousAppliedSyncId: null,
  dataDropPolicy: null,
  labels: { team: "identity", tier: "critical" },
  createdAt: 0,
  updatedAt: 0,
  deletedAt: null,
  ...overrides,
});
const paused: Hold = { kind: "PAUSED", actor: "p", note: "", createdAt: 1 };

const refused = (raw: unknown, pattern: RegExp) =>
  assert.throws(
    () => parseSelector(raw as never),
    (error: unknown) =>
      error instanceof AppError &&
      error.codeName === "INVALID_ARGUMENT" &&
      pattern.test(error.message),
  );

describe("bulk selectors", () => {
  it("refuses an empty selector and bad fields", () => {
    refused(undefined, /at least one of appId/);
    refused({}, /an empty selector would select every connector/);
    refused({ labels: {} }, /at least one/);
    refused({ status: "PAUSED" }, /selector.status must be one of SYNC_STATUS_UNSPECIFIED/);
    refused({ holdKind: "paused" }, /selector.holdKind must be one of PAUSED, DATA_DROP/);
    refused({ appId: 5 }, /selector.appId must be a string/);
    refused({ labels: { "bad key": "x" } }, /selector.labels: key "bad key"/);
    refused(
      { connectorIds: [] },
      /at least one of appId, catalogId, labels, status, holdKind, connectorIds/,
    );
    refused({ connectorIds: "c1" }, /selector.connectorIds must be a list of ids/);
    refused({ connectorIds: ["c1", ""] }, /selector.connectorIds\[1\] must be a connector id/);
    refused(
      { connectorIds: Array.from({ length: 1001 }, (_, i) => `c${i}`) },
      /names 1001 connectors, at most 1000/,
    );
  });

  it("selects when every field holds", () => {
    const c = connector();
    assert.equal(selects(parseSelector({ appId: "a1" }), c, []), true);
    assert.equal(selects(parseSelector({ appId: "a2" }), c, []), false);
    assert.equal(selects(parseSelector({ catalogId: "baton" }), c, []), false);
    assert.equal(selects(parseSelector({ labels: { team: "identity" } }), c, []), true);
    assert.equal(selects(parseSelector({ labels: { team: "hr" } }), c, []), false);
    assert.equal(selects(parseSelector({ holdKind: "PAUSED" }), c, []), false);
    assert.equal(selects(parseSelector({ holdKind: "PAUSED" }), c, [paused]), true);
    // The status as it reads back: a paused connector is DISABLED, whatever the engine recorded.
    assert.equal(selects(parseSelector({ status: "SYNC_STATUS_DONE" }), c, []), true);
    assert.equal(selects(parseSelector({ status: "SYNC_STATUS_DONE" }), c, [paused]), false);
    assert.equal(selects(parseSelector({ status: "SYNC_STATUS_DISABLED" }), c, [paused]), true);
    assert.equal(
      selects(parseSelector({ appId: "a1", labels: { tier: "critical" }, holdKind: "PAUSED" }), c, [
        paused,
      ]),
      true,
    );
  });

  it("chooses connectors by id, each once, and with the other fields", () => {
    const c = connector();
    const byId = parseSelector({ connectorIds: ["c1", "c2", "c1"] });
    assert.deepEqual(byId.connectorIds, ["c1", "c2"]);
    assert.equal(selects(byId, c, []), true);
    assert.equal(selects(byId, connector({ id: "c3" }), []), false);
    // Every field must hold: an id in the list of another app is not chosen.
    assert.equal(selects(parseSelector({ connectorIds: ["c1"], appId: "a2" }), c, []), false);
  });
});
