import { type GetTrafficRequest, Granularity } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { findDimension } from "./catalogue.js";
import { granularityOrDefault, type ResolvedRange, resolveRange } from "./dates.js";
import { compileFilters } from "./filters.js";
import { bucketExpression, bucketsPerDay, timeRangePredicate } from "./time-bucket.js";

export interface CompiledTraffic {
  sql: string;
  params: Record<string, unknown>;
  range: ResolvedRange;
  granularity: Granularity;
  dimensions: string[];
}

const MAX_DIMENSIONS = 4;
const MAX_BUCKETS = 10_000;

/**
 * Traffic over time for one organization. The organization is a bound parameter taken from
 * the verified context by the caller; nothing in the request can name another.
 */
export function compileTraffic(request: GetTrafficRequest, database: string, organizationId: string): CompiledTraffic {
  const range = resolveRange(request.range, "range");
  const granularity = granularityOrDefault(request.groupBy, Granularity.DAY);
  if (range.days * bucketsPerDay(granularity) > MAX_BUCKETS) {
    throw ValidationError.field("group_by", `too fine for a ${range.days}-day range (at most ${MAX_BUCKETS} buckets)`);
  }
  if (request.dimensions.length > MAX_DIMENSIONS) {
    throw ValidationError.field("dimensions", `at most ${MAX_DIMENSIONS} dimensions`);
  }
  const dimensionColumns = request.dimensions.map((name, i) => {
    const dimension = findDimension(name);
    if (!dimension) throw ValidationError.field(`dimensions[${i}]`, `unknown dimension "${name}"`);
    return `${dimension.sql} AS ${dimension.name}`;
  });
  const dimensionNames = request.dimensions.map((name) => findDimension(name)?.name ?? name);
  const filters = compileFilters(request.filters, "filters");
  if (filters.having)
    throw ValidationError.field(
      "filters",
      "traffic filters apply to dimensions only; use a report to filter by metrics",
    );
  const groupKeys = ["bucket", ...dimensionNames].join(", ");
  const sql = `SELECT
  ${bucketExpression(granularity)} AS bucket,${dimensionColumns.map((c) => `\n  ${c},`).join("")}
  count() AS events,
  countIf(event_type = 'click') AS clicks,
  countIf(event_type = 'pageview') AS pageviews,
  countIf(event_type = 'conversion') AS conversions,
  toFloat64(sumIf(conversion_value, event_type = 'conversion')) AS revenue,
  uniqExactIf(visitor_id, visitor_id != '') AS visitors,
  uniqExactIf(session_id, session_id != '') AS sessions,
  grouping(bucket) AS is_total
FROM ${database}.analytics_events
WHERE organization_id = {organization_id:String}
  AND ${timeRangePredicate}${filters.where}
GROUP BY GROUPING SETS ((${groupKeys}), ())
ORDER BY is_total, ${groupKeys}`;
  return {
    sql,
    params: {
      ...filters.params,
      organization_id: organizationId,
      scan_start: range.scanStartDate,
      scan_end: range.scanEndDate,
      start: `${range.startDate} 00:00:00`,
      end_exclusive: range.endExclusive,
      tz: range.timeZone,
    },
    range,
    granularity,
    dimensions: dimensionNames,
  };
}
