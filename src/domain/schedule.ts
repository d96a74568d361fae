// Cron schedules: validation with messages that name the bad field, next fire times in an IANA
// zone, and the default hourly schedule spread by connector id.
//
// DST follows the Vixie cron rule as croner implements it with fixedTimeRule "no-wildcard": a
// schedule whose minute and hour fields have no wildcard and no step (e.g. `30 2 * * *`,
// `0 9,17 * * *`) is fixed-time — a local time skipped by a DST gap fires once at the first
// instant after the gap, and a local time that occurs twice fires once, at its first occurrence.
// Any other schedule (`0 * * * *`, `*/15 * * * *`, `* 2 * * *`) is an interval schedule that
// follows absolute time and keeps its spacing through both transitions.

import { Cron } from "croner";
import { invalidArgument } from "./errors.js";
import { recheckAfter } from "./freshness.js";
import { stableHash } from "./ids.js";
import { checkLength, quote } from "./limits.js";

export const MACROS = ["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually"] as const;

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly namesStart?: number;
}

const FIELDS: readonly FieldRule[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    namesStart: 1,
  },
  {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    namesStart: 0,
  },
];

export interface CronSchedule {
  readonly cronSpec: string;
  readonly timezone: string;
}

/**
 * The cron grammar below as one regular expression (published as the `pattern` of `cronSpec` in
 * the OpenAPI document): fields separated by spaces or tabs, numbers in each field's range with
 * optional leading zeros, month and weekday names in any case, steps from 1 to the field's maximum
 * after `*` or a range. What it cannot say — a range must not run backwards, and the expression
 * must name a date that exists — is checked after it.
 */
export const CRON_SPEC_PATTERN = ((): string => {
  const anyCase = (name: string) =>
    [...name].map((c) => `[${c.toLowerCase()}${c.toUpperCase()}]`).join("");
  const numbers = (min: number, max: number) => {
    const values = Array.from({ length: max - min + 1 }, (_, i) => String(max - i));
    return `0*(?:${values.join("|")})`;
  };
  const field = (rule: FieldRule) => {
    const names = rule.names?.map(anyCase) ?? [];
    const value = names.length
      ? `(?:${numbers(rule.min, rule.max)}|${names.join("|")})`
      : numbers(rule.min, rule.max);
    const step = `/${numbers(1, rule.max)}`;
    const item = `(?:\\*(?:${step})?|${value}(?:-${value}(?:${step})?)?)`;
    return `${item}(?:,${item})*`;
  };
  const macro = `@(?:${MACROS.map((m) => m.slice(1)).join("|")})`;
  return `^[ \\t]*(?:${macro}|${FIELDS.map(field).join("[ \\t]+")})[ \\t]*$`;
})();

const CRON_SPEC = new RegExp(CRON_SPEC_PATTERN);

/** Validates and normalises a schedule from the wire; throws INVALID_ARGUMENT naming the field. */
export function parseSchedule(input: { cronSpec?: unknown; timezone?: unknown }): CronSchedule {
  if (typeof input.cronSpec !== "string" || input.cronSpec.trim() === "") {
    throw invalidArgument(
      'cron.cronSpec is required: a 5-field cron expression such as "0 * * * *" or a macro (@hourly, @daily, @weekly, @monthly, @yearly)',
    );
  }
  checkLength("cron.cronSpec", input.cronSpec, "cronSpec");
  const cronSpec = input.cronSpec.replace(/^[ \t]+|[ \t]+$/g, "").replace(/[ \t]+/g, " ");
  validateCronSpec(cronSpec);
  const timezone = normaliseTimezone(input.timezone);
  return { cronSpec, timezone };
}

export function validateCronSpec(cronSpec: string): void {
  if (cronSpec.startsWith("@")) {
    if (!(MACROS as readonly string[]).includes(cronSpec)) {
      throw invalidArgument(
        `cron.cronSpec: unknown macro ${quote(cronSpec)}; use one of ${MACROS.join(", ")}`,
      );
    }
    return;
  }
  const parts = cronSpec.split(" ");
  if (parts.length !== 5) {
    throw invalidArgument(
      `cron.cronSpec: expected 5 fields (minute hour day-of-month month day-of-week) separated by spaces, got ${parts.length} in ${quote(cronSpec)}`,
    );
  }
  parts.forEach((part, index) => validateField(part, FIELDS[index] as FieldRule));
  // The field rules above and the published pattern say the same; a test holds them together.
  if (!CRON_SPEC.test(cronSpec)) {
    throw invalidArgument(`cron.cronSpec: ${quote(cronSpec)} is not a valid cron expression`);
  }
  // The grammar above is the contract; croner computes the fire times and must agree.
  let firstFire: Date | null;
  try {
    // From 2000-01-01 the next 28 years hold every weekday/date combination (incl. 29 Feb).
    firstFire = buildCron({ cronSpec, timezone: "UTC" }).nextRun(new Date(Date.UTC(2000, 0, 1)));
  } catch {
    throw invalidArgument(`cron.cronSpec: ${quote(cronSpec)} is not a valid cron expression`);
  }
  if (firstFire === null) {
    throw invalidArgument(`cron.cronSpec: ${quote(cronSpec)} never fires (no such date exists)`);
  }
}

function validateField(text: string, rule: FieldRule): void {
  const fail = (why: string): never => {
    throw invalidArgument(`cron.cronSpec: ${rule.name} field ${quote(text)} ${why}`);
  };
  if (text === "") fail("is empty");
  for (const item of text.split(",")) {
    if (item === "") fail("has an empty list item");
    const [base, step, extra] = item.split("/");
    if (extra !== undefined) fail("has more than one '/'");
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) === 0)
        fail(`has a bad step "/${step}" (use /1 or more)`);
      if (Number(step) > rule.max) fail(`has a step /${step} larger than the field's range`);
    }
    if (base === "*") continue;
    const bounds = (base ?? "").split("-");
    if (bounds.length > 2) fail(`has a bad range "${base}"`);
    if (step !== undefined && bounds.length === 1) {
      fail(`steps need a range or '*' before the '/', e.g. "*/${step}" or "0-59/${step}"`);
    }
    const values = bounds.map((bound) => fieldValue(bound, rule, fail));
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) {
      fail(`has a range whose start is after its end`);
    }
  }
}

function fieldValue(token: string, rule: FieldRule, fail: (why: string) => never): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < rule.min || value > rule.max) {
      fail(`is out of range ${rule.min}-${rule.max}`);
    }
    return value;
  }
  const index = rule.names?.indexOf(token.toLowerCase()) ?? -1;
  if (index >= 0) return index + (rule.namesStart ?? 0);
  const hint = rule.names ? ` or a name (${rule.names[0]}…${rule.names.at(-1)})` : "";
  return fail(`has ${quote(token)}, which is not a number ${rule.min}-${rule.max}${hint}`);
}

export function normaliseTimezone(value: unknown): string {
  if (value === undefined || value === null || value === "") return "UTC";
  if (typeof value !== "string") throw invalidArgument("cron.timezone must be a string");
  checkLength("cron.timezone", value, "timezone");
  const canonical = canonicalIanaZone(value.trim());
  if (canonical === null) {
    throw invalidArgument(
      `cron.timezone: ${quote(value)} is not an IANA time zone name (for example "America/New_York", "Europe/Berlin" or "UTC")`,
    );
  }
  return canonical;
}

/**
 * The zone names to publish (the `enum` of `timezone` in the OpenAPI document): the canonical IANA
 * names this runtime knows, UTC, and the empty string (UTC). Aliases such as "US/Eastern" are
 * accepted too and stored under their canonical name.
 */
export function knownTimezones(): string[] {
  return ["", "UTC", ...Intl.supportedValuesOf("timeZone").filter((zone) => zone !== "UTC")];
}

/** The zone's canonical IANA name ("utc" → "UTC", "US/Eastern" → "America/New_York"), or null. */
function canonicalIanaZone(zone: string): string | null {
  // IANA names only: no raw offsets such as "+02:00", which Intl would also accept.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

// Parsed expressions are kept (they are immutable once built and never started): parsing costs
// more than computing a fire time, and a fleet shares few distinct schedules.
const CACHE_LIMIT = 1000;
const cache = new Map<string, Cron>();

function buildCron(schedule: CronSchedule): Cron {
  const key = `${schedule.timezone} ${schedule.cronSpec}`;
  let cron = cache.get(key);
  if (!cron) {
    cron = new Cron(schedule.cronSpec, {
      // UTC as a fixed offset skips croner's time-zone conversion, which is several times slower.
      ...(schedule.timezone === "UTC" ? { utcOffset: 0 } : { timezone: schedule.timezone }),
      mode: "5-part",
      paused: true,
      fixedTimeRule: "no-wildcard",
    });
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, cron);
  }
  return cron;
}

/** The first fire strictly after `afterMs`, or null if the expression never fires again. */
export function nextFireAfter(schedule: CronSchedule, afterMs: number): number | null {
  const next = buildCron(schedule).nextRun(new Date(afterMs));
  return next ? next.getTime() : null;
}

/** The next `count` fires strictly after `afterMs`. */
export function nextFires(schedule: CronSchedule, afterMs: number, count: number): number[] {
  return buildCron(schedule)
    .nextRuns(count, new Date(afterMs))
    .map((date) => date.getTime());
}

/**
 * Where the scheduler moves a schedule it fired (and ResumeSync one that came due while paused):
 * the cron's next time; for a freshness target, when to look again should the sync not get
 * applied (applying it plans the next one; see domain/freshness.ts).
 */
export function advanceSchedule(
  schedule: CronSchedule & {
    readonly maxAgeMs?: number | null;
    readonly expectedMs?: number | null;
  },
  now: number,
): number | null {
  if (schedule.maxAgeMs) return now + recheckAfter(schedule.maxAgeMs, schedule.expectedMs ?? null);
  return nextFireAfter(schedule, now);
}

/**
 * New connectors sync hourly at a minute derived from their id, so a fleet created together
 * does not fire at :00 all at once.
 */
export function defaultSchedule(connectorId: string): CronSchedule {
  return { cronSpec: `${stableHash(connectorId) % 60} * * * *`, timezone: "UTC" };
}
