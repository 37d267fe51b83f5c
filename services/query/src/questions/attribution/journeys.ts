import type { BoundSql } from "@trellis/traffic-rules";
import { type ResolvedRange, rangeParams, SESSION_KEY_SQL } from "@trellis/traffic-rules";
import type { ResolvedAttributionSettings } from "./settings.js";

/** Longest path kept per conversion: the most recent touches. */
export const MAX_PATH_TOUCHES = 64;
/** Key of a conversion with no touch inside the lookback window. */
export const NO_TOUCH_KEY = "(none)";

export interface JourneyOptions {
  settings: ResolvedAttributionSettings;
  effectiveCampaign: BoundSql;
  /** Per-position sums for time decay and fraud weighting; left out when no model needs them. */
  withDecay: boolean;
  withFraud: boolean;
  conversionName: string;
}

export interface CompiledPaths {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * The touches of a journey: per session, the first event of each credit key (an ad click and
 * the page view it lands on are one touch); internal navigation is not a touch.
 */
export function touchKeySql(settings: ResolvedAttributionSettings, effectiveCampaign: BoundSql): string {
  return settings.creditBy === "campaign"
    ? `if((${effectiveCampaign.sql}) = '', '${NO_TOUCH_KEY}', ${effectiveCampaign.sql})`
    : `if(channel = '', '${NO_TOUCH_KEY}', toString(channel))`;
}

/** Events that can be touches: landings and clicks, not navigation inside the site. */
export const TOUCH_EVENT_PREDICATE = "event_type IN ('click', 'pageview') AND channel != 'internal'";

/**
 * The range widened by the lookback before it: where the touches of the range's conversions can
 * lie, and so where the conversions that close a journey's earlier paths are looked for.
 */
const touchWindowPredicate = `event_date BETWEEN {touch_scan_start:Date} AND {scan_end:Date}
      AND event_time >= toDateTime64({start:String}, 3, {tz:String}) - toIntervalDay({lookback_days:UInt32})
      AND event_time < toDateTime64({end_exclusive:String}, 3, {tz:String})`;

function touchesSql(database: string, options: JourneyOptions): string {
  const journey = options.settings.journey === "visitor" ? "visitor_id" : SESSION_KEY_SQL;
  return `SELECT journey, key, is_direct, min(event_time) AS t, argMin(fraud_score, event_time) AS fraud
  FROM (
    SELECT ${journey} AS journey, ${SESSION_KEY_SQL} AS session_key,
      ${touchKeySql(options.settings, options.effectiveCampaign)} AS key,
      toUInt8(channel = 'direct') AS is_direct, event_time, fraud_score
    FROM ${database}.analytics_events
    WHERE organization_id = {organization_id:String}
      AND ${touchWindowPredicate}
      AND ${TOUCH_EVENT_PREDICATE}
  )
  WHERE journey != ''
  GROUP BY journey, session_key, key, is_direct`;
}

/**
 * Conversion paths aggregated to distinct paths in the engine: one path per conversion in the
 * range (the journey's touches within the lookback before it) and one per journey whose touches
 * since its last conversion did not convert; then counted and summed per distinct sequence of
 * keys, so the models' cost follows distinct paths, not events.
 *
 * "Its last conversion" counts the conversions of the whole scanned window (the range and the
 * lookback before it), not only those in the range: a touch that led to a conversion before the
 * range never joins a later non-converting path, so narrowing the range cannot turn a converted
 * touch into a non-converting one. Those earlier conversions close paths but are not credited.
 */
export function compileDistinctPaths(
  range: ResolvedRange,
  database: string,
  organizationId: string,
  options: JourneyOptions,
): CompiledPaths {
  const conversionJourney =
    options.settings.journey === "visitor" ? "if(visitor_id != '', visitor_id, event_id)" : SESSION_KEY_SQL;
  const nameFilter = options.conversionName ? " AND conversion_name = {conversion_name:String}" : "";
  const decayColumns = options.withDecay
    ? `,
    if(empty(path), [1.], arrayMap(w -> w / arraySum(raw_decay), raw_decay)) AS w_decay`
    : "";
  const fraudColumns = options.withFraud
    ? `,
    if(empty(path), [1.], arrayMap(x -> if(x.4 >= {fraud_threshold:UInt8}, 1 - x.4 / 100, 1.), path)) AS w_fraud`
    : "";
  const rawDecay = options.withDecay
    ? `,
    arrayMap(x -> exp2(-dateDiff('second', x.1, conversion_time) / {half_life_seconds:Float64}), path) AS raw_decay`
    : "";
  const zeros = "arrayWithConstant(length(keys), 0.)";
  const nullDecay = options.withDecay ? `, ${zeros} AS w_decay` : "";
  const nullFraud = options.withFraud ? `, ${zeros} AS w_fraud` : "";
  const sums = [
    ...(options.withDecay
      ? ["sumForEach(w_decay) AS decay", "sumForEach(arrayMap(w -> w * value, w_decay)) AS decay_revenue"]
      : []),
    ...(options.withFraud
      ? ["sumForEach(w_fraud) AS fraud_weight", "sumForEach(arrayMap(w -> w * value, w_fraud)) AS fraud_weight_revenue"]
      : []),
    ...(options.withDecay && options.withFraud
      ? [
          "sumForEach(arrayMap((d, w) -> d * w, w_decay, w_fraud)) AS decay_fraud",
          "sumForEach(arrayMap((d, w) -> d * w * value, w_decay, w_fraud)) AS decay_fraud_revenue",
        ]
      : []),
  ];
  const sql = `WITH
journeys AS (
  SELECT journey, arraySort(x -> x.1, groupArray((t, key, is_direct, fraud))) AS touches
  FROM (${touchesSql(database, options)})
  GROUP BY journey
),
conversions AS (
  SELECT journey, groupArrayIf((event_time, value), in_range) AS outcomes, groupArray(event_time) AS closings
  FROM (
    SELECT ${conversionJourney} AS journey, event_time, toFloat64(conversion_value) AS value,
      event_time >= toDateTime64({start:String}, 3, {tz:String}) AS in_range
    FROM ${database}.analytics_events
    WHERE organization_id = {organization_id:String}
      AND ${touchWindowPredicate}
      AND event_type = 'conversion'${nameFilter}
  )
  GROUP BY journey
),
joined AS (
  SELECT touches, outcomes, closings FROM journeys FULL OUTER JOIN conversions USING (journey)
),
converting AS (
  SELECT keys, direct, 1 AS converted, value${decayColumns}${fraudColumns}
  FROM (
    SELECT outcome.1 AS conversion_time, outcome.2 AS value,
      arraySlice(arrayFilter(x -> x.1 <= conversion_time AND x.1 >= conversion_time - toIntervalDay({lookback_days:UInt32}), touches), -${MAX_PATH_TOUCHES}) AS path,
      if(empty(path), ['${NO_TOUCH_KEY}'], arrayMap(x -> x.2, path)) AS keys,
      if(empty(path), [toUInt8(1)], arrayMap(x -> x.3, path)) AS direct${rawDecay}
    FROM joined ARRAY JOIN outcomes AS outcome
  )
),
abandoned AS (
  SELECT arrayMap(x -> x.2, tail) AS keys, arrayMap(x -> x.3, tail) AS direct, 0 AS converted, 0. AS value${nullDecay}${nullFraud}
  FROM (
    SELECT arraySlice(arrayFilter(x -> x.1 > last_outcome, touches), -${MAX_PATH_TOUCHES}) AS tail,
      if(empty(closings), toDateTime64(0, 3, 'UTC'), arrayMax(closings)) AS last_outcome
    FROM joined
    WHERE notEmpty(touches)
  )
  WHERE arrayExists(x -> x.1 >= toDateTime64({start:String}, 3, {tz:String}), tail)
)
SELECT keys, direct, sum(converted) AS conversions, sum(value) AS revenue, sum(1 - converted) AS nulls${sums.length > 0 ? `,\n  ${sums.join(",\n  ")}` : ""}
FROM (
  SELECT * FROM converting
  UNION ALL
  SELECT * FROM abandoned
)
GROUP BY keys, direct`;
  const params = rangeParams(range);
  const touchScanStart = new Date(
    Date.parse(`${range.scanStartDate}T00:00:00Z`) - options.settings.lookbackDays * 86_400_000,
  )
    .toISOString()
    .slice(0, 10);
  return {
    sql,
    params: {
      ...(options.settings.creditBy === "campaign" ? options.effectiveCampaign.params : {}),
      ...params,
      organization_id: organizationId,
      touch_scan_start: touchScanStart,
      lookback_days: options.settings.lookbackDays,
      half_life_seconds: options.settings.halfLifeDays * 86_400,
      fraud_threshold: options.settings.fraudThreshold,
      conversion_name: options.conversionName,
    },
  };
}
