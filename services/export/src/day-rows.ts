import type { Store } from "@trellis/store";

/** One exported row: column name to value, as BigQuery takes it in a query parameter. */
export type ExportRow = Record<string, string | number | null>;

/**
 * The seed's campaign_performance view for one organization and day: traffic by each event's
 * captured campaign, source and medium; sessions, engagement, conversions and revenue by the
 * campaign, source and medium of the session's first event.
 */
export async function campaignPerformanceRows(
  store: Store,
  organizationId: string,
  day: string,
  signal?: AbortSignal,
): Promise<ExportRow[]> {
  const db = store.database;
  const scope = "organization_id = {organization_id:String} AND event_date = {day:Date}";
  const { rows } = await store.query<ExportRow>({
    name: "export.campaign_performance",
    sql: `WITH
traffic AS (
  SELECT campaign_id, source, medium,
    countIf(event_type = 'click') AS clicks,
    uniqExactIf(click_id, click_id != '') AS unique_clicks,
    avg(fraud_score) AS avg_fraud_score,
    avg(quality_score) AS avg_quality_score
  FROM ${db}.analytics_events WHERE ${scope}
  GROUP BY campaign_id, source, medium
),
sessions AS (
  SELECT campaign_id, source, medium,
    count() AS sessions,
    avg(duration) AS avg_session_duration,
    avg(pageviews) AS avg_page_views,
    countIf(events = 1) / count() AS bounce_rate,
    sum(conversions) AS conversions,
    sum(revenue) AS revenue
  FROM (
    SELECT session_id,
      argMin(campaign_id, event_time) AS campaign_id,
      argMin(source, event_time) AS source,
      argMin(medium, event_time) AS medium,
      dateDiff('second', min(event_time), max(event_time)) AS duration,
      countIf(event_type = 'pageview') AS pageviews,
      count() AS events,
      countIf(event_type = 'conversion') AS conversions,
      sumIf(conversion_value, event_type = 'conversion') AS revenue
    FROM ${db}.analytics_events WHERE ${scope} AND session_id != ''
    GROUP BY session_id
  )
  GROUP BY campaign_id, source, medium
)
SELECT
  {organization_id:String} AS organization_id,
  toString({day:Date}) AS day,
  if(traffic.clicks IS NULL, sessions.campaign_id, traffic.campaign_id) AS campaign_id,
  if(traffic.clicks IS NULL, sessions.source, traffic.source) AS source,
  if(traffic.clicks IS NULL, sessions.medium, traffic.medium) AS medium,
  toInt64(ifNull(traffic.clicks, 0)) AS clicks,
  toInt64(ifNull(sessions.sessions, 0)) AS sessions,
  toInt64(ifNull(traffic.unique_clicks, 0)) AS unique_clicks,
  sessions.avg_session_duration AS avg_session_duration,
  sessions.avg_page_views AS avg_page_views,
  sessions.bounce_rate AS bounce_rate,
  toInt64(ifNull(sessions.conversions, 0)) AS conversions,
  toString(ifNull(sessions.revenue, toDecimal128(0, 4))) AS revenue,
  if(ifNull(sessions.conversions, 0) = 0, NULL, toFloat64(sessions.revenue) / sessions.conversions) AS avg_order_value,
  traffic.avg_fraud_score AS avg_fraud_score,
  traffic.avg_quality_score AS avg_quality_score
FROM traffic FULL OUTER JOIN sessions
  ON traffic.campaign_id = sessions.campaign_id AND traffic.source = sessions.source AND traffic.medium = sessions.medium
ORDER BY campaign_id, source, medium
SETTINGS join_use_nulls = 1`,
    params: { organization_id: organizationId, day },
    organizationId,
    signal,
  });
  return rows;
}

/**
 * Daily conversion credit per rule-based model and channel: each converting visitor's touches
 * that day (events with a channel, in time order, up to the conversion) share the conversion
 * as the model says — first touch, last touch, linear. The data-driven models (Markov,
 * Shapley) need every path of a range at once and are answered by the query service, not
 * exported per day.
 */
export async function attributionCreditRows(
  store: Store,
  organizationId: string,
  day: string,
  signal?: AbortSignal,
): Promise<ExportRow[]> {
  const db = store.database;
  const { rows } = await store.query<ExportRow>({
    name: "export.attribution_credit",
    sql: `WITH conversions AS (
  SELECT visitor_id, event_time AS converted_at, toFloat64(conversion_value) AS value
  FROM ${db}.analytics_events
  WHERE organization_id = {organization_id:String} AND event_date = {day:Date} AND event_type = 'conversion'
),
paths AS (
  SELECT c.visitor_id AS visitor_id, c.converted_at AS converted_at, any(c.value) AS value,
    arrayMap(t -> t.2, arraySort(groupArray((e.event_time, e.channel)))) AS touches
  FROM conversions AS c
  INNER JOIN (
    SELECT visitor_id, event_time, channel FROM ${db}.analytics_events
    WHERE organization_id = {organization_id:String} AND event_date = {day:Date}
      AND event_type != 'conversion' AND channel != ''
  ) AS e ON e.visitor_id = c.visitor_id
  WHERE e.event_time <= c.converted_at
  GROUP BY c.visitor_id, c.converted_at
)
SELECT {organization_id:String} AS organization_id, toString({day:Date}) AS day, model, channel,
  sum(credit) AS conversions, sum(credit * value) AS revenue
FROM (
  SELECT 'first_touch' AS model, touches[1] AS channel, 1.0 AS credit, value FROM paths
  UNION ALL
  SELECT 'last_touch', touches[-1], 1.0, value FROM paths
  UNION ALL
  SELECT 'linear', arrayJoin(touches), 1.0 / length(touches), value FROM paths
)
GROUP BY model, channel
ORDER BY model, channel`,
    params: { organization_id: organizationId, day },
    organizationId,
    signal,
  });
  return rows;
}

/**
 * One organization's events of one day as newline-delimited JSON in BigQuery's load format
 * (the raw-events table's columns, in order), written to `path`; answers the bytes written.
 * The engine writes the file itself: a day of millions of events never passes through the heap.
 */
export async function rawEventsToFile(
  store: Store,
  organizationId: string,
  day: string,
  path: string,
  signal?: AbortSignal,
): Promise<number> {
  // Some aliases repeat a column's name (event_time as text): the WHERE reads only
  // organization_id and event_date, which no alias shadows.
  return store.queryToFile(
    {
      name: "export.raw_events",
      sql: `SELECT organization_id, toString(event_date) AS day, toString(event_time) AS event_time, event_id,
  event_type, event_name, toString(ingested_at) AS ingested_at, visitor_id, session_id, click_id, click_id_type,
  campaign_id, source, medium, term, content, channel, referrer_class, referrer_host, landing_host, landing_path,
  url, referrer, user_agent, toJSONString(query_params) AS query_params, country, region, city, device_type,
  browser, os, is_bot, bot_name, fraud_score, quality_score, conversion_name,
  toString(conversion_value) AS conversion_value, currency
FROM ${store.database}.analytics_events
WHERE organization_id = {organization_id:String} AND event_date = {day:Date}`,
      params: { organization_id: organizationId, day },
      organizationId,
      signal,
    },
    "JSONEachRow",
    path,
  );
}
