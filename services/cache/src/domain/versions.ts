import { ValidationError } from "@trellis/platform";

/**
 * An organization's versions: counters that only move forward, by field name.
 *
 * - `data` moves on every advance and invalidation; keys without a data range use it, so any
 *   new data makes them unreachable.
 * - `m:YYYY-MM` moves when new data falls in that (UTC) month; keys with a data range use
 *   the sum of the months the range touches plus `gen`, so new data for March leaves an
 *   answer about January reachable. The sum of counters that never go down changes exactly
 *   when one of them does, so it is a version of its own.
 * - `gen` moves on invalidation and on new data of unknown dates: it reaches every key.
 * - `ruleset` moves when campaigns change.
 */
export type VersionVector = ReadonlyMap<string, bigint>;

export const DATA_FIELD = "data";
export const GENERATION_FIELD = "gen";
export const RULESET_FIELD = "ruleset";
const MONTH_PREFIX = "m:";

/** Longest data range tracked month by month; a longer one depends on all new data. */
export const MAX_RANGE_MONTHS = 240;

export interface DataRange {
  start: string;
  end: string;
}

/** What a key depends on: the versions it was computed under and the range it reads. */
export interface KeyScope {
  data: bigint;
  ruleset: bigint;
  range?: DataRange;
}

export interface Bump {
  field: string;
  /** The field becomes at least this (and at least one more than it was). */
  atLeast?: bigint;
}

/** Calendar dates already checked: every cache read names two, and they repeat. */
const knownDates = new Set<string>();
const KNOWN_DATES_LIMIT = 100_000;

export function isIsoDate(value: string): boolean {
  if (knownDates.has(value)) return true;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  const valid = !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value;
  if (valid) {
    if (knownDates.size >= KNOWN_DATES_LIMIT) knownDates.clear();
    knownDates.add(value);
  }
  return valid;
}

export function parseDataRange(
  range: { startDate: string; endDate: string } | undefined,
  field: string,
): DataRange | undefined {
  if (!range || (range.startDate === "" && range.endDate === "")) return undefined;
  if (!isIsoDate(range.startDate)) throw ValidationError.field(`${field}.start_date`, "expected a date YYYY-MM-DD");
  if (!isIsoDate(range.endDate)) throw ValidationError.field(`${field}.end_date`, "expected a date YYYY-MM-DD");
  if (range.endDate < range.startDate) throw ValidationError.field(`${field}.end_date`, "is before start_date");
  return { start: range.startDate, end: range.endDate };
}

function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The months whose new data can change an answer over `range`, widened by a day on each
 * side so that a range asked in any time zone is covered by its UTC dates.
 */
export function monthsCovering(range: DataRange): readonly string[] | undefined {
  const key = `${range.start}|${range.end}`;
  if (coveredMonths.has(key)) return coveredMonths.get(key);
  const months = computeMonthsCovering(range);
  if (coveredMonths.size >= COVERED_MONTHS_LIMIT) coveredMonths.clear();
  coveredMonths.set(key, months);
  return months;
}

const coveredMonths = new Map<string, readonly string[] | undefined>();
const COVERED_MONTHS_LIMIT = 10_000;

function computeMonthsCovering(range: DataRange): string[] | undefined {
  const first = shiftDays(range.start, -1).slice(0, 7);
  const last = shiftDays(range.end, 1).slice(0, 7);
  let year = Number(first.slice(0, 4));
  let month = Number(first.slice(5, 7));
  const months: string[] = [];
  for (;;) {
    const current = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
    months.push(current);
    if (current >= last) return months;
    if (months.length >= MAX_RANGE_MONTHS) return undefined;
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
}

const field = (vector: VersionVector, name: string): bigint => vector.get(name) ?? 0n;

export function scopeOf(vector: VersionVector, range: DataRange | undefined): KeyScope {
  const ruleset = field(vector, RULESET_FIELD);
  const months = range ? monthsCovering(range) : undefined;
  if (range && months) {
    let data = 1n + field(vector, GENERATION_FIELD);
    for (const month of months) data += field(vector, `${MONTH_PREFIX}${month}`);
    return { data, ruleset, range };
  }
  return { data: 1n + field(vector, DATA_FIELD), ruleset };
}

/** The fields that new data on `dates` (UTC) advances; no dates means any date. */
export function bumpsForNewData(dates: readonly string[]): Bump[] {
  if (dates.length === 0) return [{ field: DATA_FIELD }, { field: GENERATION_FIELD }];
  const months = new Set<string>();
  dates.forEach((date, index) => {
    if (!isIsoDate(date)) throw ValidationError.field(`dates[${index}]`, "expected a date YYYY-MM-DD");
    months.add(date.slice(0, 7));
  });
  return [{ field: DATA_FIELD }, ...[...months].map((month) => ({ field: `${MONTH_PREFIX}${month}` }))];
}

export const bumpsForInvalidation: readonly Bump[] = [{ field: DATA_FIELD }, { field: GENERATION_FIELD }];

export function bumpsForRuleset(atLeast: bigint): Bump[] {
  return [{ field: RULESET_FIELD, atLeast }];
}

export function applyBump(current: bigint, bump: Bump): bigint {
  const next = current + 1n;
  return bump.atLeast !== undefined && bump.atLeast > next ? bump.atLeast : next;
}
