import { type DdlTarget, onCluster, shardedTable } from "./ddl.js";

/** Dimensions every rollup keeps: a query grouping or filtering by others reads raw events. */
export const rollupDimensions = [
  "event_type",
  "event_name",
  "source",
  "medium",
  "campaign_id",
  "channel",
  "referrer_class",
  "country",
  "device_type",
  "is_bot",
] as const;

export interface RollupSpec {
  /** Table name of the rollup. */
  name: string;
  /**
   * "by_event_type": one row per event type among the dimensions, counts in `events`.
   * "totals": the event types pivoted into columns (clicks, pageviews, conversions), so a
   * day holds one row per remaining dimension value and one set of distinct ids.
   */
  layout: "by_event_type" | "totals";
  /** Dimensions the rollup keeps (a subset of rollupDimensions). */
  dimensions: readonly (typeof rollupDimensions)[number][];
  /** Column holding the bucket start, and how an event's time maps to it (UTC). */
  bucketColumn: string;
  bucketType: string;
  bucketExpression: string;
}

/**
 * The rollups, in the order their migrations created them: events_daily and events_hourly
 * (migration 4), events_daily_overview (5), events_daily_totals (7).
 */
export const rollups: readonly RollupSpec[] = [
  {
    name: "events_daily",
    layout: "by_event_type",
    dimensions: rollupDimensions,
    bucketColumn: "day",
    bucketType: "Date",
    bucketExpression: "toDate(event_time, 'UTC')",
  },
  {
    name: "events_hourly",
    layout: "by_event_type",
    dimensions: rollupDimensions,
    bucketColumn: "hour",
    bucketType: "DateTime('UTC')",
    bucketExpression: "toStartOfHour(toDateTime(event_time, 'UTC'))",
  },
  {
    name: "events_daily_overview",
    layout: "by_event_type",
    dimensions: ["event_type", "is_bot"],
    bucketColumn: "day",
    bucketType: "Date",
    bucketExpression: "toDate(event_time, 'UTC')",
  },
  {
    name: "events_daily_totals",
    layout: "totals",
    dimensions: ["is_bot"],
    bucketColumn: "day",
    bucketType: "Date",
    bucketExpression: "toDate(event_time, 'UTC')",
  },
];

const dimensionTypes: Record<(typeof rollupDimensions)[number], string> = {
  event_type: "LowCardinality(String)",
  event_name: "LowCardinality(String)",
  source: "LowCardinality(String)",
  medium: "LowCardinality(String)",
  campaign_id: "LowCardinality(String)",
  channel: "LowCardinality(String)",
  referrer_class: "LowCardinality(String)",
  country: "LowCardinality(String)",
  device_type: "LowCardinality(String)",
  is_bot: "Bool",
};

/** Score sums and distinct ids, kept alike by every layout. */
const sharedColumns = `    fraud_score_sum SimpleAggregateFunction(sum, UInt64),
    quality_score_sum SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniqExactIf, String, UInt8),
    sessions AggregateFunction(uniqExactIf, String, UInt8),
    click_ids AggregateFunction(uniqExactIf, String, UInt8)`;

const sharedSelect = `sum(toUInt64(fraud_score)) AS fraud_score_sum,
    sum(toUInt64(quality_score)) AS quality_score_sum,
    uniqExactIfState(visitor_id, toUInt8(visitor_id != '')) AS visitors,
    uniqExactIfState(session_id, toUInt8(session_id != '')) AS sessions,
    uniqExactIfState(click_id, toUInt8(click_id != '')) AS click_ids`;

/** The aggregate each rollup row holds; the query layer merges them back exactly. */
const aggregateColumns = `    events SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
${sharedColumns}`;

const aggregateSelect = `count() AS events,
    sum(toDecimal128(conversion_value, 4)) AS revenue,
    ${sharedSelect}`;

/** The totals layout: event types as columns beside the distinct ids of all of them. */
const totalsColumns = `    events SimpleAggregateFunction(sum, UInt64),
    clicks SimpleAggregateFunction(sum, UInt64),
    pageviews SimpleAggregateFunction(sum, UInt64),
    conversions SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
${sharedColumns}`;

const totalsSelect = `count() AS events,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'pageview') AS pageviews,
    countIf(event_type = 'conversion') AS conversions,
    sumIf(toDecimal128(conversion_value, 4), event_type = 'conversion') AS revenue,
    ${sharedSelect}`;

function selectFor(spec: RollupSpec, source: string): string {
  return `SELECT
    organization_id,
    retention_days,
    ${spec.bucketExpression} AS ${spec.bucketColumn},
    ${spec.dimensions.join(",\n    ")},
    ${spec.layout === "totals" ? totalsSelect : aggregateSelect}
FROM ${source}
GROUP BY organization_id, retention_days, ${spec.bucketColumn}, ${spec.dimensions.join(", ")}`;
}

/**
 * Hourly and daily rollups in AggregatingMergeTree, kept by materialized views on every
 * insert into the events table and filled once from the events already stored.
 */
export function rollupTables(target: DdlTarget, specs: readonly RollupSpec[] = rollups.slice(0, 2)): string[] {
  const db = target.database;
  const eventsTable = target.cluster ? "analytics_events_local" : "analytics_events";
  const statements: string[] = [];
  for (const spec of specs) {
    const columns = `    organization_id LowCardinality(String),
    retention_days UInt16,
    ${spec.bucketColumn} ${spec.bucketType},
${spec.dimensions.map((d) => `    ${d} ${dimensionTypes[d]}`).join(",\n")},
${spec.layout === "totals" ? totalsColumns : aggregateColumns}`;
    const ttlBase = spec.bucketColumn === "day" ? "day" : "toDate(hour)";
    statements.push(
      ...shardedTable(
        target,
        spec.name,
        {
          columns,
          engine: "AggregatingMergeTree",
          tail: `PARTITION BY toYYYYMM(${spec.bucketColumn})
ORDER BY (organization_id, ${spec.bucketColumn}, ${spec.dimensions.join(", ")}, retention_days)
TTL ${ttlBase} + toIntervalDay(retention_days)`,
        },
        "sipHash64(organization_id)",
      ),
    );
    const rollupTarget = target.cluster ? `${spec.name}_local` : spec.name;
    statements.push(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${spec.name}_mv${onCluster(target)} TO ${db}.${rollupTarget}\nAS ${selectFor(spec, `${db}.${eventsTable}`)}`,
    );
    if (!target.cluster) {
      statements.push(`INSERT INTO ${db}.${spec.name}\n${selectFor(spec, `${db}.${eventsTable}`)}`);
    }
  }
  return statements;
}

/**
 * The two statements that make a rollup's rows of one organization's days again from the
 * events stored for them (parameters `{org:String}` and `{dates:Array(Date)}`): delete the
 * rollup's rows of those days, then aggregate the days' events as the view does. Run after an
 * insert was cut off between the events table and its views.
 */
export function rollupRebuild(target: DdlTarget, spec: RollupSpec): { remove: string; refill: string } {
  if (target.cluster)
    throw new Error("rollups are rebuilt only on a single store: a cluster's inserts run on its servers");
  const db = target.database;
  const day = spec.bucketColumn === "day" ? "day" : `toDate(${spec.bucketColumn})`;
  const events = `(SELECT * FROM ${db}.analytics_events WHERE organization_id = {org:String} AND event_date IN {dates:Array(Date)})`;
  return {
    remove: `DELETE FROM ${db}.${spec.name} WHERE organization_id = {org:String} AND ${day} IN {dates:Array(Date)}`,
    refill: `INSERT INTO ${db}.${spec.name}\n${selectFor(spec, events)}`,
  };
}
