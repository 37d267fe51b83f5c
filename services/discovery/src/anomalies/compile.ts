import { Granularity } from "@trellis/contracts";
import {
  type BoundSql,
  chooseSource,
  type Metric,
  type ResolvedRange,
  type SourcePreference,
} from "@trellis/traffic-rules";
import { type Grain, HISTORY_WEEKS } from "./baseline.js";

/** The range's first date minus the weeks of history, as a date. */
export function historyStart(range: ResolvedRange): string {
  return new Date(Date.parse(`${range.startDate}T00:00:00Z`) - HISTORY_WEEKS * 7 * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

/** The range widened to the weeks of history before it: what the series reads. */
function withHistory(range: ResolvedRange): ResolvedRange {
  const start = historyStart(range);
  return {
    ...range,
    startDate: start,
    // A day's margin before the first local day: the zone's midnight can fall on the UTC day before.
    scanStartDate: new Date(Date.parse(`${start}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10),
    days: range.days + HISTORY_WEEKS * 7,
  };
}

/**
 * The bucket of a row, as the same text whatever answers: "YYYY-MM-DD" for a day,
 * "YYYY-MM-DD hh:00:00" for an hour, both local to the range's zone.
 */
function bucketSql(table: string, grain: Grain): string {
  const time = table === "analytics_events" ? "event_time" : "hour";
  if (table === "events_daily") return "toString(day)";
  return grain === "hour"
    ? `formatDateTime(toStartOfHour(${time}, {tz:String}), '%Y-%m-%d %H:00:00', {tz:String})`
    : `toString(toDate(${time}, {tz:String}))`;
}

/** A statement of the series, and the table that answers it. */
export interface SeriesStatement extends BoundSql {
  table: string;
}

/**
 * One statement: the metric by local bucket over the range and the weeks before it, overall
 * and by every dimension asked for or used to explain (GROUPING SETS: each dimension's column
 * is NULL outside its own set). Crawler traffic is left out unless asked for.
 *
 * Read from a rollup whenever one answers exactly, as the query service's reports do: the daily
 * rollup for UTC days, the hourly one for zones whose offsets are whole hours, when every
 * dimension is one the rollups keep (a rollup's rows hold each metric's mergeable state, so the
 * series is the same number for number); raw events otherwise.
 */
export function compileSeries(
  metric: Metric,
  dimensions: ReadonlyArray<{ name: string; sql: string }>,
  grain: Grain,
  range: ResolvedRange,
  includeBots: boolean,
  database: string,
  organizationId: string,
  preference: SourcePreference = "auto",
): SeriesStatement {
  const read = withHistory(range);
  const source = chooseSource(
    {
      granularity: grain === "hour" ? Granularity.HOUR : Granularity.DAY,
      range: read,
      dimensions: dimensions.map((d) => d.name),
      filterFields: ["is_bot"],
    },
    preference,
  );
  const dims = dimensions.map((d, i) => `toString(${d.sql}) AS d_${i}`);
  const sets = ["(bucket)", ...dimensions.map((_, i) => `(bucket, d_${i})`)].join(", ");
  const sql = `SELECT ${bucketSql(source.table, grain)} AS bucket${dims.length > 0 ? `, ${dims.join(", ")}` : ""},
  toFloat64(${source.metric(metric)}) AS value
FROM ${database}.${source.from}
WHERE organization_id = {organization_id:String}
  AND ${source.timePredicate}
  AND ({include_bots:Bool} OR NOT is_bot)
GROUP BY GROUPING SETS (${sets})`;
  return {
    sql,
    table: source.table,
    params: {
      organization_id: organizationId,
      scan_start: read.scanStartDate,
      scan_end: read.scanEndDate,
      start: `${read.startDate} 00:00:00`,
      end_exclusive: read.endExclusive,
      start_date: read.startDate,
      end_date: read.endDate,
      tz: read.timeZone,
      include_bots: includeBots,
    },
  };
}
