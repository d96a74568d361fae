import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkDataDrop, DEFAULT_DATA_DROP_POLICY, parseDataDropPolicy } from "./data-drop.js";
import { AppError } from "./errors.js";
import type { SyncCounts } from "./model.js";

const counts = (
  resources: Record<string, number>,
  entitlements = 0,
  grants = 0,
  extra: Partial<SyncCounts> = {},
): SyncCounts => ({
  resources,
  entitlements,
  grants,
  ...extra,
});
const none = new Set<string>();

describe("data-drop guard", () => {
  it("never flags the first sync", () => {
    assert.equal(checkDataDrop(null, counts({}), none).flagged, false);
  });

  it("flags a fall past both the percentage and the row count, naming the worst", () => {
    const verdict = checkDataDrop(
      counts({ user: 1000, group: 50 }, 60, 2000),
      counts({ user: 12, group: 49 }, 60, 1990),
      none,
    );
    assert.equal(verdict.flagged, true);
    assert.equal(verdict.summary, "user: 1000 → 12 (-98.8%)");
    assert.deepEqual(
      verdict.drops.map((d) => d.what),
      ["user"],
    );
  });

  it("needs both the percentage and the rows", () => {
    // -60% but only 6 rows: small connectors may shrink.
    assert.equal(checkDataDrop(counts({ user: 10 }), counts({ user: 4 }), none).flagged, false);
    // -20 rows but only 2%.
    assert.equal(checkDataDrop(counts({ user: 1000 }), counts({ user: 980 }), none).flagged, false);
    // Exactly at both limits.
    assert.equal(checkDataDrop(counts({ user: 20 }), counts({ user: 10 }), none).flagged, true);
  });

  it("honours a per-connector policy", () => {
    const strict = { thresholdPercent: 10, minRows: 1 };
    assert.equal(
      checkDataDrop(counts({ user: 10 }), counts({ user: 8 }), none, strict).flagged,
      true,
    );
    assert.equal(
      checkDataDrop(counts({ user: 10 }), counts({ user: 8 }), none, DEFAULT_DATA_DROP_POLICY)
        .flagged,
      false,
    );
  });

  it("flags a non-trivial count that falls to zero, and a type that disappears", () => {
    assert.equal(
      checkDataDrop(counts({ role: 6, user: 100 }), counts({ role: 0, user: 100 }), none).summary,
      "role: 6 → 0 (-100.0%)",
    );
    const vanished = checkDataDrop(counts({ role: 6, user: 100 }), counts({ user: 100 }), none);
    assert.equal(vanished.flagged, true);
    // 6 rows is under the default's 10, so the rule that fired is "vanished", not the limits.
    assert.equal(vanished.drops[0]?.rule, "VANISHED");
    assert.deepEqual(vanished.drops[0]?.limits, DEFAULT_DATA_DROP_POLICY);
    assert.equal(
      checkDataDrop(counts({ role: 2, user: 100 }), counts({ user: 100 }), none).flagged,
      false,
      "2 rows are trivial",
    );
  });

  it("flags an empty sync after a non-empty one", () => {
    const verdict = checkDataDrop(counts({ user: 3 }, 1, 2), counts({}), none);
    assert.equal(verdict.flagged, true);
    assert.equal(verdict.summary, "all data: 6 → 0 (-100.0%)");
    assert.equal(verdict.drops[0]?.rule, "EMPTIED");
  });

  it("compares entitlement and grant totals", () => {
    const verdict = checkDataDrop(
      counts({ user: 100 }, 40, 500),
      counts({ user: 100 }, 40, 100),
      none,
    );
    assert.equal(verdict.summary, "grants: 500 → 100 (-80.0%)");
  });

  it("skips exempt types, also in totals when the counts say where they belong", () => {
    const exempt = new Set(["secret"]);
    const before = counts({ user: 100, secret: 500 }, 10, 900, {
      grantsByResourceType: { group: 100, secret: 800 },
    });
    const after = counts({ user: 100, secret: 1 }, 10, 101, {
      grantsByResourceType: { group: 100, secret: 1 },
    });
    assert.equal(checkDataDrop(before, after, exempt).flagged, false);
    assert.equal(checkDataDrop(before, after, none).flagged, true);
  });

  it("lets growth and stability through", () => {
    assert.equal(
      checkDataDrop(counts({ user: 10 }, 1, 1), counts({ user: 5000 }, 10, 10), none).flagged,
      false,
    );
    assert.equal(checkDataDrop(counts({}), counts({}), none).flagged, false);
  });

  it("uses a resource type's own limits: users strict, groups loose; totals keep the default", () => {
    const policy = parseDataDropPolicy({
      thresholdPercent: 50,
      minRows: 10,
      resourceTypes: {
        user: { thresholdPercent: 5, minRows: 1 },
        group: { thresholdPercent: 90, minRows: 100 },
      },
    });
    assert.ok(policy);
    const before = counts({ user: 100, group: 100, role: 100 }, 10, 10);
    // users fall 10%: over the strict limit (5%), under the default (50%)
    const users = checkDataDrop(
      before,
      counts({ user: 90, group: 100, role: 100 }, 10, 10),
      none,
      policy,
    );
    assert.equal(users.summary, "user: 100 → 90 (-10.0%)");
    // Each drop says which rule fired and the limits that applied to it.
    assert.deepEqual(users.drops, [
      {
        what: "user",
        before: 100,
        after: 90,
        percent: 10,
        rule: "THRESHOLD",
        limits: { thresholdPercent: 5, minRows: 1 },
      },
    ]);
    assert.equal(
      checkDataDrop(before, counts({ user: 90, group: 100, role: 100 }, 10, 10), none).flagged,
      false,
    );
    // groups fall 80%: under their loose limit (90%), over the default
    const groups = counts({ user: 100, group: 20, role: 100 }, 10, 10);
    assert.equal(checkDataDrop(before, groups, none, policy).flagged, false);
    assert.equal(checkDataDrop(before, groups, none).flagged, true);
    // a type the policy does not name keeps the default
    const roles = counts({ user: 100, group: 100, role: 40 }, 10, 10);
    assert.equal(checkDataDrop(before, roles, none, policy).summary, "role: 100 → 40 (-60.0%)");
  });

  it("checks a policy, naming the field", () => {
    const refused = (raw: unknown, pattern: RegExp) =>
      assert.throws(
        () => parseDataDropPolicy(raw),
        (error: unknown) =>
          error instanceof AppError &&
          error.codeName === "INVALID_ARGUMENT" &&
          pattern.test(error.message),
      );
    assert.equal(parseDataDropPolicy(null), null);
    assert.deepEqual(
      parseDataDropPolicy({ thresholdPercent: 50, minRows: 10, resourceTypes: {} }),
      {
        thresholdPercent: 50,
        minRows: 10,
      },
    );
    refused(
      { thresholdPercent: 0, minRows: 1 },
      /^dataDropPolicy.thresholdPercent must be a number from 1 to 100/,
    );
    refused(
      { thresholdPercent: 50, minRows: 1.5 },
      /^dataDropPolicy.minRows must be a whole number/,
    );
    refused(
      {
        thresholdPercent: 50,
        minRows: 1,
        resourceTypes: { user: { thresholdPercent: 101, minRows: 1 } },
      },
      /^dataDropPolicy.resourceTypes\["user"\].thresholdPercent must be a number from 1 to 100/,
    );
    refused(
      {
        thresholdPercent: 50,
        minRows: 1,
        resourceTypes: { " ": { thresholdPercent: 5, minRows: 1 } },
      },
      /resource type id must be 1 to 256 characters/,
    );
    refused({ thresholdPercent: 50, minRows: 1, resourceTypes: { user: 5 } }, /must be an object/);
  });
});
