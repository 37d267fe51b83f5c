import { type BoundSql, CAPTURED_CAMPAIGN_SQL, SESSION_KEY_SQL } from "@trellis/traffic-rules";
import { TOUCH_EVENT_PREDICATE, touchKeySql } from "../attribution/journeys.js";
import type { ResolvedAttributionSettings } from "../attribution/settings.js";

interface Compiled {
  sql: string;
  params: Record<string, unknown>;
}

const events = (database: string) => `${database}.analytics_events`;
const TIME_FORMAT = "'%Y-%m-%d %H:%i:%S.%f'";

/** The first event carrying a click id, with the journey it belongs to. */
export function compileClickLookup(clickId: string, database: string, organizationId: string): Compiled {
  return {
    sql: `SELECT formatDateTime(event_time, ${TIME_FORMAT}, 'UTC') AS click_time, visitor_id, ${SESSION_KEY_SQL} AS session_key
FROM ${events(database)}
WHERE organization_id = {organization_id:String} AND click_id = {click_id:String}
ORDER BY event_time
LIMIT 1`,
    params: { organization_id: organizationId, click_id: clickId },
  };
}

export interface ClickJourneyScope {
  settings: ResolvedAttributionSettings;
  visitorId: string;
  sessionKey: string;
}

function journeyPredicate(scope: ClickJourneyScope): string {
  return scope.settings.journey === "visitor" && scope.visitorId !== ""
    ? "visitor_id = {visitor_id:String}"
    : `${SESSION_KEY_SQL} = {session_key:String}`;
}

function scopeParams(scope: ClickJourneyScope, organizationId: string) {
  return {
    organization_id: organizationId,
    visitor_id: scope.visitorId,
    session_key: scope.sessionKey,
    lookback_days: scope.settings.lookbackDays,
  };
}

/** The journey's first conversion within the lookback window after the click. */
export function compileClickConversion(
  clickTime: string,
  scope: ClickJourneyScope,
  database: string,
  organizationId: string,
): Compiled {
  return {
    sql: `SELECT formatDateTime(event_time, ${TIME_FORMAT}, 'UTC') AS conversion_time, event_id, conversion_name,
  toFloat64(conversion_value) AS conversion_value, currency
FROM ${events(database)}
WHERE organization_id = {organization_id:String} AND ${journeyPredicate(scope)} AND event_type = 'conversion'
  AND event_time >= toDateTime64({click_time:String}, 3, 'UTC')
  AND event_time <= toDateTime64({click_time:String}, 3, 'UTC') + toIntervalDay({lookback_days:UInt32})
ORDER BY event_time
LIMIT 1`,
    params: { ...scopeParams(scope, organizationId), click_time: clickTime },
  };
}

/** The journey's latest 64 touches in the lookback window ending at `until` (the conversion, or the click), newest first. */
export function compileClickTouches(
  until: string,
  scope: ClickJourneyScope,
  database: string,
  organizationId: string,
  effectiveCampaign: BoundSql = { sql: CAPTURED_CAMPAIGN_SQL, params: {} },
): Compiled {
  return {
    sql: `SELECT formatDateTime(min(event_time), ${TIME_FORMAT}, 'UTC') AS time,
  argMin(event_id, event_time) AS event_id, argMin(toString(channel), event_time) AS channel,
  argMin(cmp, event_time) AS campaign_id, argMin(toString(source), event_time) AS source,
  argMin(toString(medium), event_time) AS medium, argMin(click_id, event_time) AS click_id,
  key, is_direct, argMin(fraud_score, event_time) AS fraud_score
FROM (
  SELECT ${SESSION_KEY_SQL} AS session_key, ${effectiveCampaign.sql} AS cmp,
    ${touchKeySql(scope.settings, effectiveCampaign)} AS key, toUInt8(channel = 'direct') AS is_direct,
    event_time, event_id, channel, source, medium, click_id, fraud_score
  FROM ${events(database)}
  WHERE organization_id = {organization_id:String} AND ${journeyPredicate(scope)} AND ${TOUCH_EVENT_PREDICATE}
    AND event_time <= toDateTime64({until:String}, 3, 'UTC')
    AND event_time >= toDateTime64({until:String}, 3, 'UTC') - toIntervalDay({lookback_days:UInt32})
)
GROUP BY session_key, key, is_direct
ORDER BY time DESC
LIMIT 64`,
    params: { ...effectiveCampaign.params, ...scopeParams(scope, organizationId), until },
  };
}
