// Times people type: RFC 3339 date-times with a zone (what the API writes and reads).

/** RFC 3339 date-time with a time zone designator ("Z" or ±hh:mm), fractions allowed. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 as a JSON Schema pattern (the API's schemas; impossible dates like 30 Feb pass it). */
export const RFC3339_PATTERN =
  "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/** The instant (epoch ms) an RFC 3339 date-time names, or null when it is not one. */
export function parseRfc3339(text: string): number | null {
  const time = RFC3339.exec(text);
  if (!time) return null;
  const [, year, month, day, hour, minute, second] = time.map(Number) as number[];
  // Date.parse accepts impossible dates (2026-02-30) by rolling over: check the fields.
  if (
    month === undefined ||
    year === undefined ||
    day === undefined ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > new Date(Date.UTC(year, month, 0)).getUTCDate() ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59 ||
    (second ?? 0) > 59
  ) {
    return null;
  }
  const at = Date.parse(text.replace(" ", "T"));
  return Number.isFinite(at) ? at : null;
}
