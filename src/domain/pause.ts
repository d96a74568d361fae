// Timed pauses: PauseSync's optional `until`, an RFC 3339 time or a duration from now ("2h",
// "1h30m", "45m", "3d"). At that time the connector resumes by itself, as ResumeSync would. A new
// PauseSync replaces the timer (without `until` the pause has none); ResumeSync ends it.

import { invalidArgument } from "./errors.js";
import { parseRfc3339, RFC3339_PATTERN } from "./time.js";

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

/** PauseSync's `until` as a JSON Schema pattern: a duration or an RFC 3339 time. */
export const UNTIL_PATTERN = `(${"^([0-9]{1,6}d)?([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?$"})|(${RFC3339_PATTERN})`;

/** "1h30m": whole numbers with units s, m, h, d, largest first, each unit once. */
const DURATION = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

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
  return parseRfc3339(text);
}
