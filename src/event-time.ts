/**
 * The wire timestamp of an event, as the services that write it produce it. JavaScript writes
 * `toISOString()` (`2026-11-27T11:13:29.123Z`); Python services write any of:
 *
 *   datetime.isoformat()                   2026-11-27T11:13:29.123456     (naive: read as UTC)
 *   aware .isoformat()                     2026-11-27T16:43:29.123456+05:30
 *   str(datetime)                          2026-11-27 11:13:29.123456     (a space, not T)
 *   an offset with seconds                 2026-11-27T16:43:44+05:30:15   (Python allows them)
 *   isoformat(timespec="minutes"|"hours")  2026-11-27T11:13, 2026-11-27T11 (with or without offset)
 *
 * JavaScript's Date keeps milliseconds: longer fractions are cut (not rounded). The calendar is
 * checked (no 30 February, no hour 24, no second 60), and an offset is under 24 hours, as Python's.
 * Years outside 0000-9999 are written as toISOString() writes them, with a sign and six digits
 * (`+010000-01-01T00:00:00.000Z`, `-000001-...`), within the range of a Date.
 */

const FORM =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(?:([zZ])|([+-])(\d{2})(?::?(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?)?$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year: number, month: number): number => (month === 2 && leap(year) ? 29 : DAYS[month - 1]!);
const millis = (fraction: string | undefined): number =>
  fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));

/** What a person should send instead, for error messages. */
export const TIMESTAMP_RULE =
  "must be an ISO-8601 date and time such as 2026-11-27T11:13:29.123Z (Python's isoformat() or str() of a datetime; without a zone it is read as UTC)";

/** Milliseconds since the epoch, or null when `text` is not one of the forms above. */
export function parseEventTime(text: string): number | null {
  const m = FORM.exec(text);
  if (m === null) return null;
  if (m[1] === "-000000") return null; // year zero has no minus sign (ECMA-262)
  const [year, month, day, hour] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59)
    return null;
  let offsetMs = 0;
  if (m[9] !== undefined) {
    const [oh, om, os] = [Number(m[10]), Number(m[11] ?? 0), Number(m[12] ?? 0)];
    if (oh > 23 || om > 59 || os > 59) return null;
    offsetMs = (m[9] === "-" ? -1 : 1) * ((oh * 3600 + om * 60 + os) * 1000 + millis(m[13]));
  }
  const ms = daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + millis(m[7]);
  const utc = ms - offsetMs;
  // The range is checked after the offset: `+275760-09-13T01:00:00+01:00` is the last instant a
  // Date holds, although its local time is past it.
  return Math.abs(utc) <= MAX_DATE_MS ? utc : null;
}

const DAY_MS = 86_400_000;

/**
 * Days from 1970-01-01 to a day of the proleptic Gregorian calendar, any year, by arithmetic on
 * 400-year eras counted from 1 March (so that a leap day ends its year): Date.UTC reads years 0-99
 * as 1900-1999 and gives NaN for a local time just outside a Date's range.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400; // 0-399
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1; // from 1 March
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The largest distance from the epoch a Date can hold, in ms (ECMA-262: 100,000,000 days). */
const MAX_DATE_MS = 8.64e15;
