// Timed pauses: PauseSync's optional `until`, an RFC 3339 time or a duration from now ("2h",
// "1h30m", "45m", "3d"). At that time the connector resumes by itself, as ResumeSync would. A new
// PauseSync replaces the timer (without `until` the pause has none); ResumeSync ends it.

import { invalidArgument } from "./errors.js";

/** The shortest timed pause: anything shorter is a mistake, not a pause. */
export const MIN_PAUSE_MS = 60 * 1000;
/** The longest timed pause (a longer one is a pause without `until`). */
export const MAX_PAUSE_MS = 366 * 24 * 60 * 60 * 1000;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
};

/** "1h30m": whole numbers with units s, m, h, d, largest first, each unit once. */
const DURATION = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

/** RFC 3339 date-time with a time zone designator ("Z" or ±hh:mm), fractions allowed. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The instant (epoch ms) a pause with this `until` ends, checked: in the future by at least
 * MIN_PAUSE_MS, at most MAX_PAUSE_MS ahead. Empty → null (no timer).
 */
export function pauseUntil(until: string | undefined | null, now: number): number | null {
  const text = (until ?? "").trim();
  if (text === "") return null;
  const at = parseInstant(text, now);
  if (at === null) {
    throw invalidArgument(
      `until: ${JSON.stringify(text.slice(0, 64))} is neither an RFC 3339 time ` +
        `(e.g. 2026-12-24T08:00:00Z) nor a duration (e.g. 2h, 1h30m, 45m, 3d)`,
    );
  }
  if (at - now < MIN_PAUSE_MS) {
    throw invalidArgument(
      `until: must be at least ${MIN_PAUSE_MS / 60_000} minute in the future ` +
        `(got ${new Date(at).toISOString()}; now is ${new Date(now).toISOString()})`,
    );
  }
  if (at - now > MAX_PAUSE_MS) {
    throw invalidArgument(
      "until: a timed pause may last at most 366 days; pause without until to pause indefinitely",
    );
  }
  return at;
}

function parseInstant(text: string, now: number): number | null {
  const duration = DURATION.exec(text);
  if (duration && duration.slice(1).some((part) => part !== undefined)) {
    const [d, h, m, s] = duration.slice(1).map((part) => Number(part ?? 0));
    return (
      now +
      (d ?? 0) * (UNIT_MS.d ?? 0) +
      (h ?? 0) * (UNIT_MS.h ?? 0) +
      (m ?? 0) * (UNIT_MS.m ?? 0) +
      (s ?? 0) * (UNIT_MS.s ?? 0)
    );
  }
  const time = RFC3339.exec(text);
  if (!time) return null;
  const [, year, month, day, hour, minute, second] = time.map(Number);
  // Date.parse accepts impossible dates (2026-02-30) by rolling over: check the fields.
  if (
    (month ?? 0) < 1 ||
    (month ?? 0) > 12 ||
    (day ?? 0) < 1 ||
    (day ?? 0) > new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate() ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59 ||
    (second ?? 0) > 59
  ) {
    return null;
  }
  const at = Date.parse(text.replace(" ", "T"));
  return Number.isFinite(at) ? at : null;
}
