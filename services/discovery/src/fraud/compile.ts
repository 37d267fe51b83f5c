import type { BoundSql, ResolvedRange } from "@trellis/traffic-rules";
import { rangeParams, timeRangePredicate } from "@trellis/traffic-rules";
import { AUTOMATION_UA_PATTERN } from "./taxonomy.js";

export interface FraudThresholds {
  /** Clicks from one address in the range that make it a velocity pattern. */
  clicksPerIp: number;
  /** Clicks from one network in one 10-minute window that make a flood. */
  floodClicks: number;
  /** Smallest group (events) a segment pattern is judged on. */
  minEvents: number;
  limit: number;
}

const scope = (database: string) => `FROM ${database}.analytics_events
WHERE organization_id = {organization_id:String} AND ${timeRangePredicate}`;

function bound(
  sql: string,
  range: ResolvedRange,
  organizationId: string,
  extra: Record<string, unknown> = {},
): BoundSql {
  return { sql, params: { ...rangeParams(range), organization_id: organizationId, ...extra } };
}

/**
 * Addresses that click far more than a person would (clicks per IP hash). Two steps in one
 * statement: a bare count per address finds the few over the threshold, and only their clicks
 * are described (sessions, network, source, times) — almost every address clicks once or twice.
 */
export function compileIpVelocity(range: ResolvedRange, t: FraudThresholds, database: string, org: string): BoundSql {
  return bound(
    `SELECT toString(ip_hash) AS address, count() AS clicks, uniqExact(if(session_id != '', session_id, event_id)) AS sessions,
  any(as_organization) AS network, any(asn) AS asn, topK(1)(source)[1] AS source,
  toString(min(event_time)) AS first_seen, toString(max(event_time)) AS last_seen, avg(fraud_score) AS mean_fraud_score
${scope(database)} AND event_type = 'click' AND ip_hash IN (
  SELECT ip_hash ${scope(database)} AND event_type = 'click' AND ip_hash != 0
  GROUP BY ip_hash HAVING count() >= {min_clicks:UInt64}
)
GROUP BY ip_hash
ORDER BY clicks DESC, address LIMIT {limit:UInt32}`,
    range,
    org,
    { min_clicks: t.clicksPerIp, limit: t.limit },
  );
}

/**
 * Clicks per address, unique addresses, mean fraud score, data-centre share, impossible timing
 * and crawler share by source, by country and by device (GROUPING SETS; the other two columns
 * NULL in each set).
 */
export function compileSegments(range: ResolvedRange, t: FraudThresholds, database: string, org: string): BoundSql {
  return bound(
    `SELECT source, country, device_type,
  count() AS events, countIf(event_type = 'click') AS clicks, uniqExactIf(ip_hash, ip_hash != 0) AS unique_ips,
  avg(fraud_score) AS mean_fraud_score,
  countIf(has(fraud_flags, 'datacenter_network')) AS datacenter_events,
  countIf(has(fraud_flags, 'impossible_timing')) AS impossible_timing_events
${scope(database)}
GROUP BY GROUPING SETS ((source), (country), (device_type))
HAVING events >= {min_events:UInt64}`,
    range,
    org,
    { min_events: t.minEvents },
  );
}

/** Bursts of clicks from one network (autonomous system) within ten minutes. */
export function compileFloods(range: ResolvedRange, t: FraudThresholds, database: string, org: string): BoundSql {
  return bound(
    `SELECT asn, any(as_organization) AS network, toString(toStartOfInterval(event_time, INTERVAL 10 MINUTE)) AS window_start,
  count() AS clicks, uniqExact(ip_hash) AS addresses, topK(1)(source)[1] AS source
${scope(database)} AND event_type = 'click' AND asn != 0
GROUP BY asn, window_start HAVING clicks >= {flood_clicks:UInt64}
ORDER BY clicks DESC, window_start LIMIT {limit:UInt32}`,
    range,
    org,
    { flood_clicks: t.floodClicks, limit: t.limit },
  );
}

/**
 * Click ids seen on more than one click from more than one address (a copied ad link, a replay).
 * "More than one address" is told by the address hash's least and greatest values differing: two
 * numbers a click id, where an exact distinct count kept a set for each of them (almost all used
 * once). Click ids are told apart by a 64-bit hash of their text, a key of fixed size that the
 * engine groups faster than the strings (117–147 ms against 147–183 ms over an organization's
 * 4.25M events); two ids sharing a hash — for a million ids, a chance of about 3 in 100 million —
 * would count as one.
 */
export function compileClickIdReuse(range: ResolvedRange, t: FraudThresholds, database: string, org: string): BoundSql {
  return bound(
    `SELECT click_id_type, count() AS reused_ids, sum(uses) AS clicks
FROM (
  SELECT cityHash64(click_id) AS click_key, any(click_id_type) AS click_id_type, count() AS uses
  ${scope(database)} AND event_type = 'click' AND click_id != ''
  GROUP BY click_key HAVING uses > 1 AND min(ip_hash) != max(ip_hash)
)
GROUP BY click_id_type ORDER BY clicks DESC, click_id_type LIMIT {limit:UInt32}`,
    range,
    org,
    { limit: t.limit },
  );
}

/**
 * The most automation user agents, and their bytes, a bots statement takes as a bound array
 * (bound parameters travel in the statement's text, which the engine limits). Past either, the
 * bots statement matches the pattern itself, event by event: slower, never incomplete.
 */
export const MAX_AUTOMATION_AGENTS = 1_000;
export const MAX_AUTOMATION_AGENT_BYTES = 64 * 1024;

/**
 * The distinct user agents of the range that match the automation pattern: the pattern is
 * matched against each distinct agent once (a few hundred, where events are millions). One
 * row: the first agents (at most {@link MAX_AUTOMATION_AGENTS}), how many matched and their bytes.
 */
export function compileAutomationAgents(range: ResolvedRange, database: string, org: string): BoundSql {
  return bound(
    // The distinct agents gathered first, then matched. Written as a filter over a subquery's
    // DISTINCT, the engine moves the match below it, once per event instead of per agent.
    `SELECT arraySort(arrayFilter(agent -> match(agent, {automation:String}), groupUniqArray(user_agent))) AS matched,
  arraySlice(matched, 1, {max_agents:UInt32}) AS agents, length(matched) AS count,
  arraySum(arrayMap(agent -> length(agent), matched)) AS bytes
${scope(database)}`,
    range,
    org,
    { automation: AUTOMATION_UA_PATTERN, max_agents: MAX_AUTOMATION_AGENTS },
  );
}

/** The agents a bots statement can take as a list, or undefined when there are too many. */
export function listableAgents(found: { agents: string[]; count: number; bytes: number } | undefined) {
  if (!found) return [];
  return Number(found.count) <= MAX_AUTOMATION_AGENTS && Number(found.bytes) <= MAX_AUTOMATION_AGENT_BYTES
    ? found.agents
    : undefined;
}

/**
 * Automated clients: the stored crawler flag, and the user agents of automation tools it let
 * through — found by {@link compileAutomationAgents} and given as a bound array, a set the
 * engine builds once (an IN over a subquery here cost several times more per event); or, when
 * `automationAgents` is undefined (too many to list), the pattern matched on every event.
 */
export function compileBots(
  range: ResolvedRange,
  t: FraudThresholds,
  database: string,
  org: string,
  automationAgents: readonly string[] | undefined,
): BoundSql {
  const automation =
    automationAgents === undefined
      ? "match(user_agent, {automation:String})"
      : "user_agent IN {automation_agents:Array(String)}";
  return bound(
    `SELECT bot_name, any(user_agent) AS sample_user_agent, count() AS events, uniqExact(ip_hash) AS addresses, is_bot
${scope(database)} AND (is_bot OR ${automation})
GROUP BY is_bot, bot_name, if(bot_name = '', substring(user_agent, 1, 60), '')
ORDER BY events DESC LIMIT {limit:UInt32}`,
    range,
    org,
    automationAgents === undefined
      ? { automation: AUTOMATION_UA_PATTERN, limit: Math.max(200, t.limit) }
      : { automation_agents: automationAgents, limit: Math.max(200, t.limit) },
  );
}
