import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  estimateProgress,
  isProgressLevel,
  MAX_RUNNING_FRACTION,
  PROGRESS_MESSAGE_CHARS,
  progressMessage,
} from "./progress.js";

describe("sync progress", () => {
  it("estimates from the median of recent successful syncs, never claiming done while running", () => {
    assert.deepEqual(estimateProgress(1_000, 31_000, [60_000, 20_000, 100_000]), {
      elapsedMs: 30_000,
      typicalMs: 60_000,
      fraction: 0.5,
      overdue: false,
    });
    // An even count takes the mean of the two middle ones.
    assert.equal(estimateProgress(0, 10_000, [10_000, 30_000, 50_000, 90_000]).typicalMs, 40_000);
    const late = estimateProgress(0, 90_000, [60_000]);
    assert.equal(late.fraction, MAX_RUNNING_FRACTION);
    assert.equal(late.overdue, true);
  });

  it("says nothing about how far along without history, and ignores impossible durations", () => {
    assert.deepEqual(estimateProgress(5_000, 2_000, []), {
      elapsedMs: 0,
      typicalMs: null,
      fraction: null,
      overdue: false,
    });
    assert.equal(estimateProgress(0, 1, [-5, Number.NaN]).typicalMs, null);
    assert.deepEqual(estimateProgress(0, 10, [0]), {
      elapsedMs: 10,
      typicalMs: 0,
      fraction: MAX_RUNNING_FRACTION,
      overdue: true,
    });
  });

  it("keeps one short line of the connector's message", () => {
    assert.equal(progressMessage("  Syncing\n  resources  "), "Syncing resources");
    const long = progressMessage("x".repeat(500));
    assert.equal(long.length, PROGRESS_MESSAGE_CHARS);
    assert.ok(long.endsWith("…"));
    assert.equal(isProgressLevel("info"), true);
    assert.equal(isProgressLevel("debug"), false);
  });
});
