import { SESSION_KEY_SQL } from "../events-table.js";
import { organizationShardingKey } from "./0008-shard-by-organization.js";
import { type DdlTarget, onCluster, shardedTable } from "./ddl.js";

/**
 * The landing event's facts a session row keeps: every column a campaign rule may test (see
 * `ruleFields` of `@trellis/traffic-rules`) but the full landing URL, and the captured campaign,
 * so that the effective campaign under a ruleset can be computed from a session row alone; the
 * query parameters are kept beside them as two arrays (`param_names`, `param_values`). The URL is
 * left out: it was half the row's bytes (92 of about 180 uncompressed on the 10M benchmark
 * dataset), and its host, path and parameters are here apart. A reader whose rules test it reads
 * the events instead.
 */
export const landingFactColumns = [
  "event_type",
  "campaign_id",
  "source",
  "medium",
  "channel",
  "referrer",
  "referrer_host",
  "referrer_path",
  "referrer_class",
  "landing_host",
  "landing_path",
  "click_id_type",
  "country",
  "region",
  "city",
  "device_type",
  "browser",
  "os",
] as const;

/** A session's key: a 64-bit hash of its id (of the event's id for an event without a session). */
export const SESSION_KEY_HASH_SQL = `cityHash64(${SESSION_KEY_SQL})`;

/**
 * An event's order within its session: its time, then its id's hash (one event even when several
 * share a millisecond). The least is the session's landing event.
 */
export const LANDING_ORDER_SQL =
  "bitOr(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(event_time)), 64), toUInt128(cityHash64(event_id)))";

/**
 * One row per organization, UTC day, session and retention: the session's figures that day and
 * the facts of its first event. Kept by a view on every insert into the events table, so one
 * insert writes one row per session and day it touches; the engine merges a session's rows of
 * one day from several inserts (AggregatingMergeTree): the figures summed, the first event and
 * time the least, the landing facts those of the least order key — a tuple led by that key, so
 * `min` keeps the landing event's facts whole. A reader groups by session all the same (rows of
 * inserts not yet merged, and of other days). A session's landing facts are thus read from one
 * row per session and day instead of every event of it: discovery's patterns read the landing
 * sessions of a 90-day window in place of grouping its events (`services/discovery`).
 *
 * Strings inside the tuple are plain `String`: `min` over a tuple answers its elements without
 * `LowCardinality`, and the column must hold what the function answers.
 */
const columns = `    organization_id LowCardinality(String),
    retention_days UInt16,
    day Date,
    session_key UInt64,
    landing_order SimpleAggregateFunction(min, UInt128),
    started SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    events SimpleAggregateFunction(sum, UInt64),
    conversions SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    is_bot SimpleAggregateFunction(max, UInt8),
    fraud_score SimpleAggregateFunction(max, UInt8),
    landing SimpleAggregateFunction(min, Tuple(
      order UInt128,
      ${landingFactColumns.map((c) => `${c} String`).join(",\n      ")},
      param_names Array(String),
      param_values Array(String)
    )) CODEC(ZSTD(3))`;

/**
 * The SELECT that turns events into landing-session rows: what the view writes for each insert,
 * and a rebuild for some days of one organization (`where`, a condition with bound parameters).
 */
export function landingSessionsSelect(source: string, where?: string): string {
  return `SELECT
    organization_id,
    retention_days,
    toDate(event_time, 'UTC') AS day,
    ${SESSION_KEY_HASH_SQL} AS session_key,
    min(event_order) AS landing_order,
    min(event_time) AS started,
    count() AS events,
    countIf(event_type = 'conversion') AS conversions,
    sumIf(toDecimal128(conversion_value, 4), event_type = 'conversion') AS revenue,
    max(toUInt8(is_bot)) AS is_bot,
    max(fraud_score) AS fraud_score,
    -- min over a tuple answers its strings without LowCardinality, as the column holds them.
    min(tuple(event_order, ${landingFactColumns.join(", ")}, mapKeys(query_params), mapValues(query_params))) AS landing
FROM (SELECT *, ${LANDING_ORDER_SQL} AS event_order FROM ${source}${where === undefined ? "" : ` WHERE ${where}`})
GROUP BY organization_id, retention_days, day, session_key`;
}

/**
 * The landing sessions table, the view that keeps it and (on a single store) its rows made once
 * from the events already stored.
 */
export function landingSessionsTable(target: DdlTarget): string[] {
  const db = target.database;
  const events = target.cluster ? "analytics_events_local" : "analytics_events";
  const table = target.cluster ? "landing_sessions_local" : "landing_sessions";
  const statements = [
    ...shardedTable(
      target,
      "landing_sessions",
      {
        columns,
        engine: "AggregatingMergeTree",
        tail: `PARTITION BY toYYYYMM(day)
ORDER BY (organization_id, day, session_key, retention_days)
TTL day + toIntervalDay(retention_days)`,
      },
      organizationShardingKey,
    ),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.landing_sessions_mv${onCluster(target)} TO ${db}.${table}\nAS ${landingSessionsSelect(`${db}.${events}`)}`,
  ];
  if (!target.cluster)
    statements.push(`INSERT INTO ${db}.landing_sessions\n${landingSessionsSelect(`${db}.${events}`)}`);
  return statements;
}

/**
 * The statements that make the landing sessions of one organization's UTC days again from the
 * events stored for them (parameters `{organization_id:String}` and `{days:Array(Date)}`), as
 * the rollups are after a deletion, a retention change or an insert cut off between the events
 * table and its views: count the rows, remove them, write them anew. `rows` is where a DELETE
 * goes (the table, or a cluster's `_local` tables on every node); refills go through the table
 * itself (on a cluster the Distributed table, which routes rows to their shard).
 */
export function landingSessionsRebuild(
  target: DdlTarget,
  rows: string,
): { table: string; count: string; remove: string; refill: string } {
  const db = target.database;
  const match = "organization_id = {organization_id:String} AND day IN {days:Array(Date)}";
  return {
    table: "landing_sessions",
    count: `SELECT count() AS rows FROM ${db}.landing_sessions WHERE ${match}`,
    remove: `DELETE FROM ${rows} WHERE ${match}`,
    refill: `INSERT INTO ${db}.landing_sessions\n${landingSessionsSelect(
      `${db}.analytics_events`,
      "organization_id = {organization_id:String} AND toDate(event_time, 'UTC') IN {days:Array(Date)}",
    )}`,
  };
}
