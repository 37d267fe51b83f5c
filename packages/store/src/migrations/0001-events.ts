import { type DdlTarget, onCluster, shardedTable } from "./ddl.js";

/**
 * The raw facts. Partitioned by month (never by organization: thousands of organizations
 * times months would be thousands of partitions); the primary key starts with the
 * organization so every tenant-scoped query prunes to one organization's granules.
 */
export function eventsTable(target: DdlTarget): string[] {
  const columns = `    organization_id LowCardinality(String),
    event_date Date,
    event_time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    event_id String CODEC(ZSTD(1)),
    event_type LowCardinality(String),
    event_name LowCardinality(String),
    batch_id String CODEC(ZSTD(1)),
    ingested_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    retention_days UInt16,
    visitor_id String CODEC(ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    click_id String CODEC(ZSTD(1)),
    click_id_type LowCardinality(String),
    campaign_id LowCardinality(String),
    source LowCardinality(String),
    medium LowCardinality(String),
    term String CODEC(ZSTD(1)),
    content String CODEC(ZSTD(1)),
    channel LowCardinality(String),
    referrer_class LowCardinality(String),
    referrer_host LowCardinality(String),
    referrer_path String CODEC(ZSTD(1)),
    landing_host LowCardinality(String),
    landing_path String CODEC(ZSTD(1)),
    url String CODEC(ZSTD(3)),
    referrer String CODEC(ZSTD(3)),
    user_agent String CODEC(ZSTD(3)),
    query_params Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    headers Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    properties Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    ip_anonymized IPv6,
    ip_hash UInt64,
    country LowCardinality(String),
    region LowCardinality(String),
    city LowCardinality(String),
    timezone LowCardinality(String),
    asn UInt32,
    as_organization LowCardinality(String),
    device_type LowCardinality(String),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    os_version LowCardinality(String),
    is_bot Bool,
    bot_name LowCardinality(String),
    fraud_score UInt8,
    fraud_flags Array(LowCardinality(String)),
    quality_score UInt8,
    conversion_name LowCardinality(String),
    conversion_value Decimal(18, 4),
    currency LowCardinality(String),
    INDEX idx_click_id click_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_event_id event_id TYPE bloom_filter(0.01) GRANULARITY 4`;
  const tail = `PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, visitor_id, event_time)
TTL event_date + toIntervalDay(retention_days)
SETTINGS index_granularity = 8192${target.cluster ? "" : ", non_replicated_deduplication_window = 10000"}`;
  return shardedTable(
    target,
    "analytics_events",
    { columns, engine: "MergeTree", tail },
    "sipHash64(organization_id, visitor_id)",
  );
}

/** CREATE DATABASE for the product's database and its empty sandbox database (`<database>_sandbox`). */
export function createDatabase(target: DdlTarget): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${target.database}${onCluster(target)}`,
    // The current database of tenant SQL. It holds nothing, ever: an unqualified name that
    // is not one of the statement's own CTEs resolves here, to nothing of the product's.
    `CREATE DATABASE IF NOT EXISTS ${sandboxDatabaseOf(target.database)}${onCluster(target)}`,
  ];
}

/** The name of the empty database tenant SQL runs in. */
export function sandboxDatabaseOf(database: string): string {
  return `${database}_sandbox`;
}
