import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "./errors.js";
import { MAX_PAUSE_MS, pauseUntil } from "./pause.js";

const NOW = Date.parse("2026-12-07T10:00:00Z");
const H = 60 * 60 * 1000;

const refused = (until: string, pattern: RegExp) =>
  assert.throws(
    () => pauseUntil(until, NOW),
    (error: unknown) =>
      error instanceof AppError &&
      error.codeName === "INVALID_ARGUMENT" &&
      pattern.test(error.message),
  );

describe("timed pause: until", () => {
  it("empty or absent means no timer", () => {
    assert.equal(pauseUntil(undefined, NOW), null);
    assert.equal(pauseUntil("", NOW), null);
    assert.equal(pauseUntil("   ", NOW), null);
  });

  it("reads durations from now", () => {
    assert.equal(pauseUntil("2h", NOW), NOW + 2 * H);
    assert.equal(pauseUntil("1h30m", NOW), NOW + 1.5 * H);
    assert.equal(pauseUntil("45m", NOW), NOW + 45 * 60_000);
    assert.equal(pauseUntil("3d", NOW), NOW + 72 * H);
    assert.equal(pauseUntil("90s", NOW), NOW + 90_000);
    assert.equal(pauseUntil("1d2h3m4s", NOW), NOW + 26 * H + 3 * 60_000 + 4000);
  });

  it("reads RFC 3339 times with a zone", () => {
    assert.equal(pauseUntil("2026-12-07T12:00:00Z", NOW), NOW + 2 * H);
    assert.equal(pauseUntil("2026-12-07T13:00:00+01:00", NOW), NOW + 2 * H);
    assert.equal(pauseUntil("2026-12-07T12:00:00.250Z", NOW), NOW + 2 * H + 250);
  });

  it("refuses what it cannot read, naming the field and the accepted forms", () => {
    for (const bad of ["soon", "2 hours", "h", "2m1h", "-2h", "2026-12-07T12:00:00", "2026-12-07"])
      refused(bad, /^until: .* neither an RFC 3339 time .* nor a duration/);
    refused("2026-02-30T10:00:00Z", /neither/);
    refused("2026-12-07T24:00:00Z", /neither/);
  });

  it("refuses the past, the next few seconds and more than 366 days", () => {
    refused("2026-12-07T09:00:00Z", /at least 1 minute in the future/);
    refused("30s", /at least 1 minute/);
    refused("0m", /at least 1 minute/);
    refused("367d", /at most 366 days/);
    assert.equal(pauseUntil("366d", NOW), NOW + MAX_PAUSE_MS);
  });
});
