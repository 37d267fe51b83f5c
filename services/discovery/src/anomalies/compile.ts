import type { BoundSql, ResolvedRange } from "@trellis/traffic-rules";
import { type Grain, HISTORY_WEEKS } from "./baseline.js";

/** The range's first date minus the weeks of history, as a date. */
export function historyStart(range: ResolvedRange): string {
  return new Date(Date.parse(`${range.startDate}T00:00:00Z`) - HISTORY_WEEKS * 7 * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

/**
 * One statement: the metric by local bucket over the range and the weeks before it, overall
 * and by every dimension asked for or used to explain (GROUPING SETS: each dimension's column
 * is NULL outside its own set). Crawler traffic is left out unless asked for.
 */
export function compileSeries(
  metricSql: string,
  dimensions: ReadonlyArray<{ name: string; sql: string }>,
  grain: Grain,
  range: ResolvedRange,
  includeBots: boolean,
  database: string,
  organizationId: string,
): BoundSql {
  const bucket =
    grain === "hour" ? "toString(toStartOfHour(event_time, {tz:String}))" : "toString(toDate(event_time, {tz:String}))";
  const dims = dimensions.map((d, i) => `toString(${d.sql}) AS d_${i}`);
  const sets = ["(bucket)", ...dimensions.map((_, i) => `(bucket, d_${i})`)].join(", ");
  const start = historyStart(range);
  const scanStart = new Date(Date.parse(`${start}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const sql = `SELECT bucket${dimensions.map((_, i) => `, d_${i}`).join("")}, toFloat64(${metricSql}) AS value
FROM (
  SELECT *, ${bucket} AS bucket${dims.length > 0 ? `, ${dims.join(", ")}` : ""}
  FROM ${database}.analytics_events
  WHERE organization_id = {organization_id:String}
    AND event_date BETWEEN {history_scan_start:Date} AND {scan_end:Date}
    AND event_time >= toDateTime64({history_start:String}, 3, {tz:String})
    AND event_time < toDateTime64({end_exclusive:String}, 3, {tz:String})
    AND ({include_bots:Bool} OR NOT is_bot)
)
GROUP BY GROUPING SETS (${sets})`;
  return {
    sql,
    params: {
      organization_id: organizationId,
      history_scan_start: scanStart,
      scan_end: range.scanEndDate,
      history_start: `${start} 00:00:00`,
      end_exclusive: range.endExclusive,
      tz: range.timeZone,
      include_bots: includeBots,
    },
  };
}
