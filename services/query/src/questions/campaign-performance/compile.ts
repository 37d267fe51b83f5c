import { type GetCampaignPerformanceRequest, Granularity } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import {
  type BoundSql,
  bucketExpression,
  bucketsPerDay,
  CAPTURED_CAMPAIGN_SQL,
  type ResolvedRange,
  rangeParams,
  resolveRange,
  SESSION_KEY_SQL,
  timeRangePredicate,
} from "@trellis/traffic-rules";

export interface CompiledCampaignPerformance {
  sql: string;
  params: Record<string, unknown>;
  range: ResolvedRange;
}

const MAX_CAMPAIGNS = 1000;

/**
 * Per campaign (and bucket): click metrics by each event's effective campaign; sessions,
 * conversions and revenue by the effective campaign of the session's landing event (a
 * conversion seldom carries campaign parameters itself). Unattributed traffic is left out.
 * The effective campaign comes from the organization's ruleset, else what ingest captured.
 */
export function compileCampaignPerformance(
  request: GetCampaignPerformanceRequest,
  database: string,
  organizationId: string,
  effective: BoundSql = { sql: CAPTURED_CAMPAIGN_SQL, params: {} },
): CompiledCampaignPerformance {
  const range = resolveRange(request.range, "range");
  if (request.campaignIds.length > MAX_CAMPAIGNS)
    throw ValidationError.field("campaign_ids", `at most ${MAX_CAMPAIGNS} campaigns`);
  const bucketed = request.groupBy !== Granularity.UNSPECIFIED;
  if (bucketed && range.days * bucketsPerDay(request.groupBy) > 100_000) {
    throw ValidationError.field("group_by", `too fine for a ${range.days}-day range`);
  }
  const bucket = bucketed ? bucketExpression(request.groupBy) : "''";
  const campaignFilter = request.campaignIds.length > 0 ? "has({campaigns:Array(String)}, cmp)" : "cmp != ''";
  const scope = `organization_id = {organization_id:String} AND ${timeRangePredicate}`;
  const sql = `WITH
events AS (
  SELECT cmp, bucket,
    countIf(event_type = 'click') AS clicks,
    uniqExactIf(click_id, click_id != '') AS unique_clicks,
    avg(fraud_score) AS average_fraud_score,
    avg(quality_score) AS average_quality_score
  FROM (
    SELECT ${effective.sql} AS cmp, ${bucket} AS bucket, event_type, click_id, fraud_score, quality_score
    FROM ${database}.analytics_events
    WHERE ${scope}
  )
  WHERE ${campaignFilter}
  GROUP BY cmp, bucket
),
sessions AS (
  SELECT cmp, bucket,
    countIf(real_session) AS sessions,
    sum(conversions) AS conversions,
    sum(revenue) AS revenue,
    avgIf(duration, real_session) AS average_session_duration_seconds,
    countIf(real_session AND events = 1) / countIf(real_session) AS bounce_rate
  FROM (
    SELECT ${SESSION_KEY_SQL} AS session_key,
      any(session_id != '') AS real_session,
      argMin(${effective.sql}, event_time) AS cmp,
      argMin(${bucket}, event_time) AS bucket,
      dateDiff('second', min(event_time), max(event_time)) AS duration,
      countIf(event_type = 'conversion') AS conversions,
      toFloat64(sumIf(conversion_value, event_type = 'conversion')) AS revenue,
      count() AS events
    FROM ${database}.analytics_events
    WHERE ${scope}
    GROUP BY session_key
  )
  WHERE ${campaignFilter}
  GROUP BY cmp, bucket
)
SELECT
  if(events.cmp != '', events.cmp, sessions.cmp) AS campaign_id,
  if(events.cmp != '', events.bucket, sessions.bucket) AS bucket,
  events.clicks AS clicks, events.unique_clicks AS unique_clicks, sessions.conversions AS conversions, sessions.revenue AS revenue,
  sessions.sessions AS sessions,
  ifNotFinite(sessions.conversions / sessions.sessions, 0) AS conversion_rate,
  ifNotFinite(sessions.revenue / sessions.conversions, 0) AS average_order_value,
  ifNotFinite(sessions.average_session_duration_seconds, 0) AS average_session_duration_seconds,
  ifNotFinite(sessions.bounce_rate, 0) AS bounce_rate,
  ifNotFinite(events.average_fraud_score, 0) AS average_fraud_score,
  ifNotFinite(events.average_quality_score, 0) AS average_quality_score
FROM events FULL OUTER JOIN sessions ON events.cmp = sessions.cmp AND events.bucket = sessions.bucket
ORDER BY campaign_id, bucket
LIMIT 100000`;
  return {
    sql,
    params: {
      ...effective.params,
      organization_id: organizationId,
      campaigns: request.campaignIds,
      ...rangeParams(range),
    },
    range,
  };
}
