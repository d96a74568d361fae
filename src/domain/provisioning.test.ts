import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Hold } from "./holds.js";
import {
  canTaskTransition,
  initialTaskState,
  provisioningHolds,
  requestKey,
  TASK_STATES,
  taskOutcomeUnknown,
} from "./provisioning.js";

const hold = (kind: Hold["kind"]): Hold => ({ kind, createdAt: 0, actor: "a", note: "" });

describe("provisioning rules", () => {
  it("a pause holds new tasks; a data-drop hold does not", () => {
    assert.equal(initialTaskState([]), "QUEUED");
    assert.equal(initialTaskState([hold("PAUSED")]), "HELD");
    assert.equal(initialTaskState([hold("DATA_DROP")]), "QUEUED");
    assert.equal(initialTaskState([hold("DATA_DROP"), hold("PAUSED")]), "HELD");
    assert.deepEqual(
      provisioningHolds([hold("DATA_DROP"), hold("PAUSED")]).map((h) => h.kind),
      ["PAUSED"],
    );
  });

  it("a started task never goes back to the queue, and ended tasks stay ended", () => {
    assert.ok(canTaskTransition("QUEUED", "HELD"));
    assert.ok(canTaskTransition("HELD", "QUEUED"));
    assert.ok(canTaskTransition("QUEUED", "RUNNING"));
    assert.ok(!canTaskTransition("HELD", "RUNNING"), "a held task must be released first");
    assert.ok(!canTaskTransition("RUNNING", "QUEUED"), "not idempotent: never run twice");
    assert.ok(!canTaskTransition("RUNNING", "CANCELED"), "a running task finishes");
    for (const end of ["SUCCEEDED", "FAILED", "CANCELED"] as const) {
      for (const to of TASK_STATES) assert.ok(!canTaskTransition(end, to), `${end} → ${to}`);
    }
  });

  it("identical requests share a key; ids cannot collide through separators", () => {
    const grant = (entitlementId: string, type: string, id: string) =>
      requestKey({
        kind: "GRANT",
        entitlementId,
        principal: { resourceTypeId: type, resourceId: id },
      });
    assert.equal(grant("group:g:member", "user", "u1"), grant("group:g:member", "user", "u1"));
    assert.notEqual(grant("group:g:member", "user", "u1"), grant("group:g:member", "user", "u2"));
    assert.notEqual(grant("a:b", "c", "d"), grant("a", "b:c", "d"));
    assert.notEqual(
      requestKey({ kind: "REVOKE", grantId: "x" }),
      grant("x", "", ""),
      "a revoke is never the same request as a grant",
    );
  });

  it("says the outcome is unknown when the runner vanished", () => {
    assert.match(taskOutcomeUnknown("the worker stopped"), /^outcome unknown; check and retry: /);
  });
});
