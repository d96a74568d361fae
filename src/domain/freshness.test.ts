import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "./errors.js";
import {
  DEFAULT_EXPECTED_MS,
  expectedDuration,
  formatDuration,
  MIN_PERIOD_MS,
  parseFreshness,
  planFreshness,
  previewFreshness,
  recheckAfter,
} from "./freshness.js";
import { advanceSchedule } from "./schedule.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const refused = (maxAge: unknown, pattern: RegExp) =>
  assert.throws(
    () => parseFreshness({ maxAge }),
    (e: unknown) =>
      e instanceof AppError && e.codeName === "INVALID_ARGUMENT" && pattern.test(e.message),
  );

describe("freshness targets", () => {
  it("read durations with units, largest first, within 15 minutes and 31 days", () => {
    assert.equal(parseFreshness({ maxAge: "2h" }).maxAgeMs, 2 * HOUR);
    assert.equal(parseFreshness({ maxAge: "1h30m" }).maxAgeMs, 90 * MIN);
    assert.equal(parseFreshness({ maxAge: "31d" }).maxAgeMs, 31 * 24 * HOUR);
    assert.equal(parseFreshness({ maxAge: "900s" }).maxAgeMs, 15 * MIN);
    refused("10m", /from 15m to 31d, got 10m/);
    refused("32d", /from 15m to 31d, got 32d/);
    refused("2 hours", /"2 hours" is not a duration \(e\.g\. 2h, 1h30m, 1d\)/);
    refused("", /is not a duration/);
    refused(7200, /is not a duration/);
    refused("30m2h", /is not a duration/);
  });

  it("write durations back the same way", () => {
    assert.equal(formatDuration(2 * HOUR), "2h");
    assert.equal(formatDuration(90 * MIN), "1h30m");
    assert.equal(formatDuration(26 * HOUR + 5_000), "1d2h5s");
    assert.equal(formatDuration(0), "0s");
  });

  it("assume the longest of the last five successful syncs, or 5 minutes before any", () => {
    assert.equal(expectedDuration([]), DEFAULT_EXPECTED_MS);
    assert.equal(expectedDuration([3 * MIN, 9 * MIN, 4 * MIN]), 9 * MIN);
    assert.equal(expectedDuration([1, 2, 3, 4, 5, 60 * MIN]), 5, "only the newest five");
  });
});

describe("freshness plans", () => {
  const base = { connectorId: "c1", maxAgeMs: 2 * HOUR, now: 10 * HOUR };

  it("start the next sync so that it ends before the applied data is maxAge old", () => {
    const plan = planFreshness({
      ...base,
      appliedStartedAt: 9 * HOUR,
      recentDurationsMs: [10 * MIN],
    });
    assert.equal(plan.expectedMs, 10 * MIN);
    assert.ok(!plan.atRisk);
    // 2h − 10m expected − 12m headroom (10%) − a spread of at most 12m.
    assert.ok(
      plan.periodMs <= 2 * HOUR - 22 * MIN && plan.periodMs >= 2 * HOUR - 34 * MIN,
      String(plan.periodMs),
    );
    assert.equal(plan.nextStartAt, 9 * HOUR + plan.periodMs);
    assert.ok(plan.nextStartAt + plan.expectedMs < 9 * HOUR + 2 * HOUR, "applied before maxAge");
  });

  it("start at once without data or when already late", () => {
    assert.equal(
      planFreshness({ ...base, appliedStartedAt: null, recentDurationsMs: [] }).nextStartAt,
      base.now,
    );
    assert.equal(
      planFreshness({ ...base, appliedStartedAt: 5 * HOUR, recentDurationsMs: [] }).nextStartAt,
      base.now,
    );
  });

  it("spread connectors with the same target over up to 10% of it (at most 15 minutes)", () => {
    const periods = new Set(
      Array.from(
        { length: 50 },
        (_, i) =>
          planFreshness({
            ...base,
            connectorId: `c${i}`,
            appliedStartedAt: 9 * HOUR,
            recentDurationsMs: [MIN],
          }).periodMs,
      ),
    );
    assert.ok(periods.size > 40, `distinct periods: ${periods.size}`);
    const spreads = [...periods].map((p) => 2 * HOUR - MIN - 12 * MIN - p);
    assert.ok(Math.min(...spreads) >= 0 && Math.max(...spreads) <= 12 * MIN);
    // The same connector always gets the same spread.
    const again = planFreshness({ ...base, appliedStartedAt: 9 * HOUR, recentDurationsMs: [MIN] });
    assert.equal(
      again.periodMs,
      planFreshness({ ...base, appliedStartedAt: 9 * HOUR, recentDurationsMs: [MIN] }).periodMs,
    );
  });

  it("report a target the syncs are too slow for, and then run them back to back", () => {
    const plan = planFreshness({
      ...base,
      maxAgeMs: 30 * MIN,
      appliedStartedAt: 9 * HOUR,
      recentDurationsMs: [40 * MIN],
    });
    assert.ok(plan.atRisk);
    assert.equal(plan.periodMs, MIN_PERIOD_MS);
  });

  it("preview the planned starts one period apart", () => {
    const plan = planFreshness({
      ...base,
      appliedStartedAt: 9 * HOUR,
      recentDurationsMs: [10 * MIN],
    });
    const [first, second, third] = previewFreshness(plan, 3);
    assert.equal(first, plan.nextStartAt);
    assert.equal(second, plan.nextStartAt + plan.periodMs);
    assert.equal(third, plan.nextStartAt + 2 * plan.periodMs);
  });

  it("look again after a fired sync that may not get applied: once it should have ended", () => {
    assert.equal(recheckAfter(2 * HOUR, 10 * MIN), 22 * MIN);
    assert.equal(recheckAfter(2 * HOUR, null), DEFAULT_EXPECTED_MS + 12 * MIN);
    assert.equal(recheckAfter(15 * MIN, 1000), 5 * MIN, "at least 5 minutes");
    const schedule = { cronSpec: "", timezone: "UTC", maxAgeMs: 2 * HOUR, expectedMs: 10 * MIN };
    assert.equal(advanceSchedule(schedule, 0), 22 * MIN);
    assert.equal(advanceSchedule({ cronSpec: "0 * * * *", timezone: "UTC" }, 0), HOUR);
  });
});
