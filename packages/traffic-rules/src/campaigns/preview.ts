import { SESSION_KEY_SQL } from "@trellis/store";
import { type ResolvedRange, rangeParams } from "../dates.js";
import { timeRangePredicate } from "../time-bucket.js";
import type { BoundSql } from "./compile.js";

export interface CompiledPreview {
  sql: string;
  params: Record<string, unknown>;
}

export { SESSION_KEY_SQL } from "@trellis/store";

/**
 * What draft rules would have matched, by the day (in the range's zone) each session started:
 * matched events, and the conversions and revenue of sessions whose landing event matched
 * (the credit campaign performance gives a campaign). "Previously unattributed" counts matched
 * events that had no campaign under the current ruleset.
 */
export function compilePreview(
  draft: BoundSql,
  current: BoundSql,
  range: ResolvedRange,
  database: string,
  organizationId: string,
): CompiledPreview {
  const sql = `SELECT day,
  sum(matched_events) AS events,
  sum(unattributed_events) AS previously_unattributed_events,
  sum(conversions) AS conversions,
  sum(revenue) AS revenue
FROM (
  SELECT
    toString(toDate(min(event_time), {tz:String})) AS day,
    countIf(matched) AS matched_events,
    countIf(matched AND effective = '') AS unattributed_events,
    if(argMin(matched, event_time), countIf(event_type = 'conversion'), 0) AS conversions,
    if(argMin(matched, event_time), toFloat64(sumIf(conversion_value, event_type = 'conversion')), 0) AS revenue
  FROM (
    SELECT ${SESSION_KEY_SQL} AS session_key, event_time, event_type, conversion_value,
      ${draft.sql} AS matched, ${current.sql} AS effective
    FROM ${database}.analytics_events
    WHERE organization_id = {organization_id:String} AND ${timeRangePredicate}
  )
  GROUP BY session_key
  HAVING matched_events > 0
)
GROUP BY day
ORDER BY day`;
  return {
    sql,
    params: { ...draft.params, ...current.params, organization_id: organizationId, ...rangeParams(range) },
  };
}
