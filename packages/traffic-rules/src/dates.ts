import { type DateRange, Granularity } from "@trellis/contracts";
import { echo, parseDate, ValidationError } from "@trellis/platform";

const MAX_RANGE_DAYS = 366 * 20;

export interface ResolvedRange {
  startDate: string;
  endDate: string;
  timeZone: string;
  /** UTC dates that can hold events of the range (the zone shifts days by up to ±14 h). */
  scanStartDate: string;
  scanEndDate: string;
  /** Local midnight after the end date, "YYYY-MM-DD 00:00:00", in timeZone. */
  endExclusive: string;
  days: number;
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a date range; `path` prefixes field names in errors (e.g. "range"). Its dates are
 * calendar dates within the product's supported dates (platform `parseDate`), so every date
 * derived from them (the scan's day either side, a lookback) is one the engine can hold.
 */
export function resolveRange(range: DateRange | undefined, path: string): ResolvedRange {
  if (!range?.startDate) throw ValidationError.field(`${path}.start_date`, "is required");
  if (!range.endDate) throw ValidationError.field(`${path}.end_date`, "is required");
  const start = parseDate(range.startDate, `${path}.start_date`);
  const end = parseDate(range.endDate, `${path}.end_date`);
  if (end < start) throw ValidationError.field(`${path}.end_date`, "must not be before start_date");
  const days = Math.round((end.getTime() - start.getTime()) / 86_400_000) + 1;
  if (days > MAX_RANGE_DAYS) throw ValidationError.field(path, `must span at most ${MAX_RANGE_DAYS} days`);
  const timeZone = range.timeZone || "UTC";
  if (!isValidTimeZone(timeZone))
    throw ValidationError.field(`${path}.time_zone`, `unknown time zone ${echo(timeZone)}`);
  return {
    startDate: range.startDate,
    endDate: range.endDate,
    timeZone,
    scanStartDate: isoDate(addDays(start, -1)),
    scanEndDate: isoDate(addDays(end, 1)),
    endExclusive: `${isoDate(addDays(end, 1))} 00:00:00`,
    days,
  };
}

export function granularityOrDefault(value: Granularity, fallback: Granularity): Granularity {
  return value === Granularity.UNSPECIFIED ? fallback : value;
}

/** The bound parameters every time-range predicate uses. */
export function rangeParams(range: ResolvedRange): Record<string, string> {
  return {
    scan_start: range.scanStartDate,
    scan_end: range.scanEndDate,
    start: `${range.startDate} 00:00:00`,
    end_exclusive: range.endExclusive,
    start_date: range.startDate,
    end_date: range.endDate,
    tz: range.timeZone,
  };
}
