import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "./errors.js";
import { labelsMatch, MAX_LABELS, parseLabels } from "./labels.js";

const refused = (labels: unknown, pattern: RegExp) =>
  assert.throws(
    () => parseLabels(labels),
    (error: unknown) =>
      error instanceof AppError &&
      error.codeName === "INVALID_ARGUMENT" &&
      pattern.test(error.message),
  );

describe("labels", () => {
  it("accepts Kubernetes-style keys and values", () => {
    assert.deepEqual(parseLabels(null), {});
    assert.deepEqual(parseLabels({ team: "identity", "example.com/tier": "critical", x: "" }), {
      team: "identity",
      "example.com/tier": "critical",
      x: "",
    });
  });

  it("refuses what is not a label, naming the key", () => {
    refused([], /must be an object/);
    refused("team=x", /must be an object/);
    refused({ "-team": "x" }, /key "-team" is not a label key/);
    refused({ "Team/x": "y" }, /key "Team\/x"/);
    refused({ ["a".repeat(64)]: "y" }, /is not a label key/);
    refused({ team: 5 }, /value of "team" must be a string/);
    refused({ team: "has space" }, /value of "team" \("has space"\) must be empty or/);
    refused(
      Object.fromEntries(Array.from({ length: MAX_LABELS + 1 }, (_, i) => [`k${i}`, "v"])),
      /at most 64 labels/,
    );
  });

  it("matches when every wanted pair is there", () => {
    const labels = { team: "identity", tier: "critical" };
    assert.equal(labelsMatch(labels, {}), true);
    assert.equal(labelsMatch(labels, { team: "identity" }), true);
    assert.equal(labelsMatch(labels, { team: "identity", tier: "low" }), false);
    assert.equal(labelsMatch(labels, { owner: "" }), false);
  });
});
