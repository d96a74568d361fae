import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "./errors.js";
import { defaultSchedule, nextFireAfter, nextFires, parseSchedule } from "./schedule.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function rejects(input: { cronSpec?: unknown; timezone?: unknown }, pattern: RegExp) {
  assert.throws(
    () => parseSchedule(input),
    (error: unknown) =>
      error instanceof AppError &&
      error.codeName === "INVALID_ARGUMENT" &&
      pattern.test(error.message),
  );
}

describe("parseSchedule", () => {
  it("accepts 5-field expressions with lists, ranges, steps and names", () => {
    for (const cronSpec of [
      "0 * * * *",
      "*/15 * * * *",
      "0 9-17/2 * * mon-fri",
      "30 2 1,15 jan,jul *",
      "0 0 * * 7",
      "5 4 * * SUN",
      "0 0 1-7 * 1",
    ]) {
      assert.equal(parseSchedule({ cronSpec }).cronSpec, cronSpec);
    }
  });

  it("accepts the macros", () => {
    for (const cronSpec of ["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually"]) {
      assert.equal(
        parseSchedule({ cronSpec, timezone: "Europe/Berlin" }).timezone,
        "Europe/Berlin",
      );
    }
  });

  it("normalises whitespace and defaults the zone to UTC", () => {
    assert.deepEqual(parseSchedule({ cronSpec: "  0   *  * * * " }), {
      cronSpec: "0 * * * *",
      timezone: "UTC",
    });
    assert.equal(parseSchedule({ cronSpec: "@daily", timezone: "" }).timezone, "UTC");
  });

  it("names the bad field", () => {
    rejects({ cronSpec: "61 * * * *" }, /minute field "61" is out of range 0-59/);
    rejects({ cronSpec: "0 24 * * *" }, /hour field "24" is out of range 0-23/);
    rejects({ cronSpec: "0 0 0 * *" }, /day-of-month field "0" is out of range 1-31/);
    rejects({ cronSpec: "0 0 * 13 *" }, /month field "13" is out of range 1-12/);
    rejects({ cronSpec: "0 0 * * 8" }, /day-of-week field "8" is out of range 0-7/);
    rejects(
      { cronSpec: "0 0 * * funday" },
      /day-of-week field "funday" has "funday", which is not a number/,
    );
    rejects({ cronSpec: "*/0 * * * *" }, /minute field "\*\/0" has a bad step/);
    rejects({ cronSpec: "5/10 * * * *" }, /steps need a range or '\*'/);
    rejects({ cronSpec: "10-5 * * * *" }, /start is after its end/);
    rejects({ cronSpec: "L * * * *" }, /minute field "L"/);
    rejects({ cronSpec: "0 0 ? * *" }, /day-of-month field "\?"/);
  });

  it("refuses other shapes", () => {
    rejects({ cronSpec: "0 0 0 * * *" }, /expected 5 fields .* got 6/);
    rejects({ cronSpec: "* * * *" }, /expected 5 fields .* got 4/);
    rejects({ cronSpec: "@every 5m" }, /unknown macro "@every 5m"/);
    rejects({ cronSpec: "" }, /cron.cronSpec is required/);
    rejects({ cronSpec: 5 }, /cron.cronSpec is required/);
  });

  it("refuses unknown and non-IANA zones", () => {
    rejects(
      { cronSpec: "@daily", timezone: "Mars/Olympus_Mons" },
      /cron.timezone: "Mars\/Olympus_Mons" is not an IANA time zone/,
    );
    rejects({ cronSpec: "@daily", timezone: "+02:00" }, /not an IANA time zone/);
    rejects({ cronSpec: "@daily", timezone: 7 }, /cron.timezone must be a string/);
  });
});

describe("next fire times and DST", () => {
  const ny = (cronSpec: string) => ({ cronSpec, timezone: "America/New_York" });

  it("fires a fixed time that a spring-forward gap skips once, at the first instant after the gap", () => {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist.
    const fires = nextFires(ny("30 2 * * *"), at("2026-03-07T12:00:00Z"), 3).map(iso);
    assert.deepEqual(fires, [
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
      "2026-03-10T06:30:00.000Z",
    ]);
  });

  it("fires a fixed time that a fall-back overlap repeats once, at its first occurrence", () => {
    // 2026-11-01: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    const fires = nextFires(ny("30 1 * * *"), at("2026-10-31T12:00:00Z"), 2).map(iso);
    assert.deepEqual(fires, ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
  });

  it("keeps interval schedules on absolute time through both transitions", () => {
    assert.deepEqual(nextFires(ny("0 * * * *"), at("2026-03-08T05:30:00Z"), 3).map(iso), [
      "2026-03-08T06:00:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-08T08:00:00.000Z",
    ]);
    assert.deepEqual(nextFires(ny("*/30 * * * *"), at("2026-11-01T05:10:00Z"), 4).map(iso), [
      "2026-11-01T05:30:00.000Z",
      "2026-11-01T06:00:00.000Z",
      "2026-11-01T06:30:00.000Z",
      "2026-11-01T07:00:00.000Z",
    ]);
  });

  it("handles Lord Howe's 30-minute shift", () => {
    const lh = (cronSpec: string) => ({ cronSpec, timezone: "Australia/Lord_Howe" });
    // 2026-10-04 02:00 → 02:30 (+10:30 → +11): 02:00 does not exist; fire at 02:30 (15:30Z).
    assert.deepEqual(nextFires(lh("0 2 * * *"), at("2026-10-03T00:00:00Z"), 2).map(iso), [
      "2026-10-03T15:30:00.000Z",
      "2026-10-04T15:00:00.000Z",
    ]);
    // 2026-04-05 02:00 → 01:30 (+11 → +10:30): 01:45 occurs twice; fire at the first (14:45Z).
    assert.deepEqual(nextFires(lh("45 1 * * *"), at("2026-04-04T00:00:00Z"), 2).map(iso), [
      "2026-04-04T14:45:00.000Z",
      "2026-04-05T15:15:00.000Z",
    ]);
  });

  it("computes strictly after the given instant", () => {
    const schedule = { cronSpec: "@hourly", timezone: "UTC" };
    assert.equal(
      iso(nextFireAfter(schedule, at("2026-01-01T10:00:00Z"))),
      "2026-01-01T11:00:00.000Z",
    );
  });
});

describe("defaultSchedule", () => {
  it("is hourly at a minute derived from the id", () => {
    const a = defaultSchedule("3MStfESnzxuB2EkU9pPkte2E9KM");
    assert.match(a.cronSpec, /^([0-9]|[1-5][0-9]) \* \* \* \*$/);
    assert.equal(a.timezone, "UTC");
    assert.deepEqual(defaultSchedule("3MStfESnzxuB2EkU9pPkte2E9KM"), a);
  });

  it("spreads many connectors over the hour", () => {
    const minutes = new Set<string>();
    for (let i = 0; i < 600; i++)
      minutes.add(defaultSchedule(`connector-${i}`).cronSpec.split(" ")[0] as string);
    assert.ok(minutes.size >= 55, `only ${minutes.size} distinct minutes`);
  });
});
