import type { EffectiveCampaign } from "@trellis/bigquery";
import type { Statement, Store } from "@trellis/store";

/**
 * The statement that computes one read-path table's rows of one organization and day, in the
 * table's column order. The export writes its answer to a file and loads it (a day of sessions
 * or click ids can be far larger than a query parameter carries).
 */
export type ReadPathStatement = (
  store: Store,
  organizationId: string,
  day: string,
  effective: EffectiveCampaign,
) => Statement;

const scope = "organization_id = {organization_id:String} AND event_date = {day:Date}";

function params(organizationId: string, day: string, effective: EffectiveCampaign) {
  return { ...effective.params, organization_id: organizationId, day };
}

/**
 * Additive metrics per effective campaign: events, clicks, score sums, and the conversions
 * and revenue of events without a session id (each is a session of its own to the store's
 * campaign performance, never spanning days). Events with no effective campaign are left out,
 * as campaign performance leaves them out.
 */
export const campaignEventsStatement: ReadPathStatement = (store, organizationId, day, effective) => ({
  name: "export.campaign_events",
  sql: `SELECT {organization_id:String} AS organization_id, toString({day:Date}) AS day, cmp AS campaign_id,
  toInt64(count()) AS events,
  toInt64(countIf(event_type = 'click')) AS clicks,
  toInt64(sum(fraud_score)) AS fraud_score_sum,
  toInt64(sum(quality_score)) AS quality_score_sum,
  toInt64(countIf(session_id = '' AND event_type = 'conversion')) AS loose_conversions,
  toString(sumIf(conversion_value, session_id = '' AND event_type = 'conversion')) AS loose_revenue
FROM (
  SELECT ${effective.sql} AS cmp, event_type, session_id, fraud_score, quality_score, conversion_value
  FROM ${store.database}.analytics_events WHERE ${scope}
)
WHERE cmp != ''
GROUP BY cmp
ORDER BY cmp`,
  params: params(organizationId, day, effective),
  organizationId,
});

/** The day's distinct click ids per effective campaign. */
export const campaignClickKeysStatement: ReadPathStatement = (store, organizationId, day, effective) => ({
  name: "export.campaign_click_keys",
  // The organization and day are selected outside the scan: an alias named organization_id
  // beside the WHERE would be what the WHERE compares (ClickHouse prefers aliases).
  sql: `SELECT {organization_id:String} AS organization_id, toString({day:Date}) AS day, cmp AS campaign_id, click_id
FROM (
  SELECT DISTINCT ${effective.sql} AS cmp, click_id
  FROM ${store.database}.analytics_events
  WHERE ${scope} AND click_id != '' AND (${effective.sql}) != ''
)
ORDER BY cmp, click_id`,
  params: params(organizationId, day, effective),
  organizationId,
});

/**
 * One row per session and day: the effective campaign of its first event that day, its first
 * and last event times (ms since the epoch), events, conversions and revenue. Every session is
 * kept, with or without a campaign: which day's campaign a range credits depends on the range.
 */
export const campaignSessionsStatement: ReadPathStatement = (store, organizationId, day, effective) => ({
  name: "export.campaign_sessions",
  sql: `SELECT {organization_id:String} AS organization_id, toString({day:Date}) AS day, session_id,
  cmp AS campaign_id, first_ms, last_ms, events, conversions, revenue
FROM (
  SELECT session_id,
    argMin(${effective.sql}, event_time) AS cmp,
    toInt64(toUnixTimestamp64Milli(min(event_time))) AS first_ms,
    toInt64(toUnixTimestamp64Milli(max(event_time))) AS last_ms,
    toInt64(count()) AS events,
    toInt64(countIf(event_type = 'conversion')) AS conversions,
    toString(sumIf(conversion_value, event_type = 'conversion')) AS revenue
  FROM ${store.database}.analytics_events
  WHERE ${scope} AND session_id != ''
  GROUP BY session_id
)
ORDER BY session_id`,
  params: params(organizationId, day, effective),
  organizationId,
});
