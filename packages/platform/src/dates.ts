import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { echo, ValidationError } from "./errors.js";

const DAY_MS = 86_400_000;

/**
 * The dates and instants the product accepts, wherever one is read: a question's range, a
 * campaign rule's window, an event's time. The engine's types hold more (Date 1970-01-01 …
 * 2149-06-06, DateTime until 2106-02-07, DateTime64 1900 … 2299), but a question widens what
 * it is given before the engine sees it — a day either side for time zones, up to a year back
 * for an attribution lookback, the start of a week or a month — and the hourly rollup compares
 * against DateTime. A range well inside every one of them keeps each of those steps in range,
 * and no web traffic lies outside it.
 */
export const supportedTime = {
  firstDate: "2000-01-01",
  lastDate: "2099-12-31",
  /** The earliest instant accepted, in milliseconds since the epoch (2000-01-01T00:00:00Z). */
  firstMs: Date.UTC(2000, 0, 1),
  /** The latest instant accepted (2100-01-01T00:00:00Z: the exclusive end of the last day). */
  lastMs: Date.UTC(2100, 0, 1),
} as const;

const dateRangeReason = `must be between ${supportedTime.firstDate} and ${supportedTime.lastDate}`;

/** Why an instant is refused: the sentence every refused time gives. */
export const instantRangeReason = "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z";

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Milliseconds of UTC midnight of a calendar date, or undefined when there is no such date.
 * (Date.parse rolls 2026-02-30 over to March 2: it is never asked.)
 */
function calendarMs(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** Whether an instant (milliseconds since the epoch) is one the product accepts. */
export function isSupportedInstant(ms: number): boolean {
  return ms >= supportedTime.firstMs && ms <= supportedTime.lastMs;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date as YYYY-MM-DD within the supported dates; anything else names `field`. */
export function parseDate(value: string, field: string): Date {
  const match = DATE.exec(value);
  if (!match) throw ValidationError.field(field, `expected a date as YYYY-MM-DD, got ${echo(value)}`);
  const ms = calendarMs(Number(match[1]), Number(match[2]), Number(match[3]));
  if (ms === undefined) throw ValidationError.field(field, `${echo(value)} is not a calendar date`);
  if (ms < supportedTime.firstMs || ms > supportedTime.lastMs - DAY_MS)
    throw ValidationError.field(field, `${dateRangeReason}, got ${echo(value)}`);
  return new Date(ms);
}

/** RFC 3339: a date and a time of day with Z or an offset; or a date alone (its UTC midnight). */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2})))?$/;

/** The number of `count` decimal digits of `text` from `from`, or -1 when one is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The instant of the spelling most clients send, `2026-01-31T10:00:00.250Z` (what
 * `toISOString` writes), read digit by digit without the general expression; undefined when
 * the text is spelled otherwise or is not an instant the product accepts, so that the general
 * reading decides (and words the refusal).
 */
function canonicalInstantMs(value: string): number | undefined {
  if (
    value.length !== 24 ||
    value.charCodeAt(4) !== 45 || // -
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 || // T
    value.charCodeAt(13) !== 58 || // :
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 || // .
    value.charCodeAt(23) !== 90 // Z
  )
    return undefined;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hours = digitsAt(value, 11, 2);
  const minutes = digitsAt(value, 14, 2);
  const seconds = digitsAt(value, 17, 2);
  const fraction = digitsAt(value, 20, 3);
  if (year < 1000 || hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59)
    return undefined;
  if (fraction < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const ms = Date.UTC(year, month - 1, day, hours, minutes, seconds, fraction);
  return isSupportedInstant(ms) ? ms : undefined;
}

/**
 * An instant as RFC 3339 text (2026-01-31T10:00:00Z, 2026-01-31T11:00:00.250+01:00) or a
 * date alone (UTC midnight), within the supported instants. A date that is not on the
 * calendar (2026-02-30), a time of day that does not exist (24:00, :60) and a time without
 * a zone are refused, naming `field`; milliseconds are kept, finer digits dropped.
 */
export function parseInstant(value: string, field: string): Date {
  const canonical = canonicalInstantMs(value);
  if (canonical !== undefined) return new Date(canonical);
  const match = INSTANT.exec(value);
  if (!match)
    throw ValidationError.field(field, `expected an RFC 3339 time such as 2026-01-01T12:00:00Z, got ${echo(value)}`);
  const day = calendarMs(Number(match[1]), Number(match[2]), Number(match[3]));
  if (day === undefined) throw ValidationError.field(field, `${echo(value)} is not a calendar date`);
  let ms = day;
  if (match[4] !== undefined) {
    const hours = Number(match[4]);
    const minutes = Number(match[5]);
    const seconds = Number(match[6]);
    if (hours > 23 || minutes > 59 || seconds > 59)
      throw ValidationError.field(field, `${echo(value)} is not a time of day`);
    const fraction = match[7] ? Number(match[7].slice(0, 3).padEnd(3, "0")) : 0;
    ms += ((hours * 60 + minutes) * 60 + seconds) * 1000 + fraction;
    if (match[9] !== undefined) {
      const offsetHours = Number(match[10]);
      const offsetMinutes = Number(match[11]);
      if (offsetHours > 23 || offsetMinutes > 59)
        throw ValidationError.field(field, `${echo(value)} has an offset that is not one`);
      const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
      ms += match[9] === "+" ? -offsetMs : offsetMs;
    }
  }
  if (!isSupportedInstant(ms)) throw ValidationError.field(field, `${instantRangeReason}, got ${echo(value)}`);
  return new Date(ms);
}

/**
 * The instant of a protobuf Timestamp (what Connect and gRPC callers send), within the
 * supported instants; a Timestamp out of range, or with nanos that are not 0 … 999999999,
 * names `field`.
 */
export function instantOfTimestamp(timestamp: Timestamp, field: string): Date {
  if (!Number.isInteger(timestamp.nanos) || timestamp.nanos < 0 || timestamp.nanos > 999_999_999)
    throw ValidationError.field(field, "nanos must be between 0 and 999999999");
  const seconds = timestamp.seconds;
  if (seconds < BigInt(supportedTime.firstMs / 1000) || seconds > BigInt(supportedTime.lastMs / 1000))
    throw ValidationError.field(field, instantRangeReason);
  const ms = Number(seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000);
  if (!isSupportedInstant(ms)) throw ValidationError.field(field, instantRangeReason);
  return new Date(ms);
}
