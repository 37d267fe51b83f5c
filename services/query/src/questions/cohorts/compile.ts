import { CohortMetric, type GetCohortsRequest, Granularity } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { type ResolvedRange, rangeParams, resolveRange, timeRangePredicate } from "@trellis/traffic-rules";

export const cohortLimits = { defaultPeriods: 8, maxPeriods: 104 };

export interface CompiledCohorts {
  sql: string;
  params: Record<string, unknown>;
  periods: number;
  metric: CohortMetric;
  range: ResolvedRange;
}

/**
 * Visitors grouped by the week or month they were first seen in the range; for each later
 * period, how many of them came back (retention) and how much they spent (revenue).
 */
export function compileCohorts(request: GetCohortsRequest, database: string, organizationId: string): CompiledCohorts {
  // Periods first: a range left to its default is counted back from the periods asked for.
  const periods = request.periods || cohortLimits.defaultPeriods;
  if (periods > cohortLimits.maxPeriods)
    throw ValidationError.field("periods", `must be at most ${cohortLimits.maxPeriods}`);
  const range = resolveRange(request.range, "range");
  const cohortType = request.cohortType === Granularity.UNSPECIFIED ? Granularity.WEEK : request.cohortType;
  if (cohortType !== Granularity.WEEK && cohortType !== Granularity.MONTH) {
    throw ValidationError.field("cohort_type", "must be weekly or monthly (GRANULARITY_WEEK or GRANULARITY_MONTH)");
  }
  const unit = cohortType === Granularity.WEEK ? "week" : "month";
  const periodStart =
    cohortType === Granularity.WEEK
      ? "toStartOfWeek(event_time, 1, {tz:String})"
      : "toStartOfMonth(event_time, {tz:String})";
  const sql = `WITH activity AS (
  SELECT visitor_id, ${periodStart} AS period_start,
    toFloat64(sumIf(conversion_value, event_type = 'conversion')) AS revenue
  FROM ${database}.analytics_events
  WHERE organization_id = {organization_id:String} AND visitor_id != ''
    AND ${timeRangePredicate}
  GROUP BY visitor_id, period_start
),
first_seen AS (
  SELECT visitor_id, min(period_start) AS cohort FROM activity GROUP BY visitor_id
)
SELECT toString(first_seen.cohort) AS cohort,
  dateDiff('${unit}', first_seen.cohort, activity.period_start) AS period,
  count() AS visitors,
  sum(activity.revenue) AS revenue
FROM activity INNER JOIN first_seen USING (visitor_id)
WHERE period < {periods:UInt32}
GROUP BY cohort, period
ORDER BY cohort, period`;
  return {
    sql,
    params: {
      organization_id: organizationId,
      periods,
      ...rangeParams(range),
    },
    periods,
    metric: request.metric === CohortMetric.UNSPECIFIED ? CohortMetric.RETENTION : request.metric,
    range,
  };
}
