import { type GetCampaignPerformanceRequest, Granularity } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { type ResolvedRange, rangeParams, resolveRange } from "./dates.js";
import { bucketExpression, bucketsPerDay, timeRangePredicate } from "./time-bucket.js";

export interface CompiledCampaignPerformance {
  sql: string;
  params: Record<string, unknown>;
  range: ResolvedRange;
}

const MAX_CAMPAIGNS = 1000;

/**
 * Per campaign (and bucket): event metrics by each event's campaign, session metrics by the
 * campaign of the session's landing event. Unattributed traffic (no campaign) is left out.
 */
export function compileCampaignPerformance(
  request: GetCampaignPerformanceRequest,
  database: string,
  organizationId: string,
): CompiledCampaignPerformance {
  const range = resolveRange(request.range, "range");
  if (request.campaignIds.length > MAX_CAMPAIGNS)
    throw ValidationError.field("campaign_ids", `at most ${MAX_CAMPAIGNS} campaigns`);
  const bucketed = request.groupBy !== Granularity.UNSPECIFIED;
  if (bucketed && range.days * bucketsPerDay(request.groupBy) > 100_000) {
    throw ValidationError.field("group_by", `too fine for a ${range.days}-day range`);
  }
  const bucket = bucketed ? bucketExpression(request.groupBy) : "''";
  const campaignFilter =
    request.campaignIds.length > 0 ? "has({campaigns:Array(String)}, campaign_id)" : "campaign_id != ''";
  const scope = `organization_id = {organization_id:String} AND ${timeRangePredicate}`;
  const sql = `WITH
events AS (
  SELECT campaign_id, ${bucket} AS bucket,
    countIf(event_type = 'click') AS clicks,
    uniqExactIf(click_id, click_id != '') AS unique_clicks,
    countIf(event_type = 'conversion') AS conversions,
    toFloat64(sumIf(conversion_value, event_type = 'conversion')) AS revenue,
    avg(fraud_score) AS average_fraud_score,
    avg(quality_score) AS average_quality_score
  FROM ${database}.analytics_events
  WHERE ${scope} AND ${campaignFilter}
  GROUP BY campaign_id, bucket
),
sessions AS (
  SELECT campaign_id, bucket,
    count() AS sessions,
    avg(duration) AS average_session_duration_seconds,
    countIf(events = 1) / count() AS bounce_rate
  FROM (
    SELECT session_id,
      argMin(campaign_id, event_time) AS campaign_id,
      argMin(${bucket}, event_time) AS bucket,
      dateDiff('second', min(event_time), max(event_time)) AS duration,
      count() AS events
    FROM ${database}.analytics_events
    WHERE ${scope} AND session_id != ''
    GROUP BY session_id
  )
  WHERE ${campaignFilter}
  GROUP BY campaign_id, bucket
)
SELECT
  if(events.campaign_id != '', events.campaign_id, sessions.campaign_id) AS campaign_id,
  if(events.campaign_id != '', events.bucket, sessions.bucket) AS bucket,
  events.clicks AS clicks, events.unique_clicks AS unique_clicks, events.conversions AS conversions, events.revenue AS revenue,
  sessions.sessions AS sessions,
  ifNotFinite(events.conversions / sessions.sessions, 0) AS conversion_rate,
  ifNotFinite(events.revenue / events.conversions, 0) AS average_order_value,
  ifNotFinite(sessions.average_session_duration_seconds, 0) AS average_session_duration_seconds,
  ifNotFinite(sessions.bounce_rate, 0) AS bounce_rate,
  ifNotFinite(events.average_fraud_score, 0) AS average_fraud_score,
  ifNotFinite(events.average_quality_score, 0) AS average_quality_score
FROM events FULL OUTER JOIN sessions ON events.campaign_id = sessions.campaign_id AND events.bucket = sessions.bucket
ORDER BY campaign_id, bucket
LIMIT 100000`;
  return {
    sql,
    params: {
      organization_id: organizationId,
      campaigns: request.campaignIds,
      ...rangeParams(range),
    },
    range,
  };
}
