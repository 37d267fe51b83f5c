import { EventTypeSchema } from "@trellis/contracts";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  checksum,
  EVENT_TYPES,
  type EventColumnOf,
  type EventRow,
  type EventType,
  eventColumns,
  migrations,
  typeDefault,
} from "../../src/index.js";

// Migration 1's DDL as released, before its column list was rendered from the event
// definition. A released migration's statements never change (their checksums are recorded).
const releasedEventsDdl = `CREATE TABLE IF NOT EXISTS trellis.analytics_events
(
    organization_id LowCardinality(String),
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
    INDEX idx_event_id event_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, visitor_id, event_time)
TTL event_date + toIntervalDay(retention_days)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000`;

const releasedClusterDdl = [
  releasedEventsDdl
    .replace("trellis.analytics_events\n", "trellis.analytics_events_local ON CLUSTER analytics\n")
    .replace(
      "ENGINE = MergeTree()",
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/trellis/analytics_events_local', '{replica}')",
    )
    .replace(", non_replicated_deduplication_window = 10000", ""),
  "CREATE TABLE IF NOT EXISTS trellis.analytics_events ON CLUSTER analytics AS trellis.analytics_events_local\nENGINE = Distributed(analytics, trellis, analytics_events_local, sipHash64(organization_id, visitor_id))",
];

// The checksums of the released migrations, single server then cluster.
const releasedChecksums = [
  [
    "539bfdc343579f03",
    "0e899257485e1b77",
    "54483d9368ffb3f5",
    "476ea981e4c89159",
    "eefacb2b750699e5",
    "48f2bee13b5ff7ca",
    "980f31a40d1d9128",
  ],
  [
    "aba9566bc8d53b26",
    "eedec1ba34758752",
    "db3386583b51eca6",
    "4694de448ece1739",
    "11e2bf12bd2681b1",
    "bfe0852652b1e683",
    "89312730d4dfe739",
  ],
];

describe("the event definition", () => {
  it("renders migration 1 exactly as released", () => {
    const [first] = migrations;
    expect(first?.version).toBe(1);
    expect(first?.statements({ database: "trellis" })).toEqual([releasedEventsDdl]);
    expect(first?.statements({ database: "trellis", cluster: "analytics" })).toEqual(releasedClusterDdl);
  });

  it("leaves every released migration's checksum unchanged", () => {
    const targets = [{ database: "trellis" }, { database: "trellis", cluster: "analytics" }];
    const released = releasedChecksums[0]?.length ?? 0;
    const sums = targets.map((t) => migrations.slice(0, released).map((m) => checksum(m, t)));
    expect(sums).toEqual(releasedChecksums);
  });

  it("names each column once, with its type's default", () => {
    const names = eventColumns.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of eventColumns) expect(c.default, c.name).toEqual(typeDefault(c.type));
    const row: Partial<EventRow> = { ip_hash: typeDefault("UInt64"), is_bot: typeDefault("Bool") };
    expect(row).toEqual({ ip_hash: "0", is_bot: false });
    expect(typeDefault("DateTime64(3, 'UTC')")).toBe("1970-01-01 00:00:00.000");
    expect(() => typeDefault("Float32")).toThrow(/Float32/);
  });

  it("types each row value by its column's ClickHouse type", () => {
    expectTypeOf<EventColumnOf<number>>().toEqualTypeOf<
      "retention_days" | "asn" | "fraud_score" | "quality_score" | "conversion_value"
    >();
    expectTypeOf<EventColumnOf<boolean>>().toEqualTypeOf<"is_bot">();
    expectTypeOf<EventColumnOf<readonly string[]>>().toEqualTypeOf<"fraud_flags">();
    expectTypeOf<EventColumnOf<Readonly<Record<string, string>>>>().toEqualTypeOf<
      "query_params" | "headers" | "properties"
    >();
    expectTypeOf<EventRow["ip_hash"]>().toEqualTypeOf<string>();
    expectTypeOf<EventRow["event_time"]>().toEqualTypeOf<string>();
    expectTypeOf<keyof EventRow>().toEqualTypeOf<(typeof eventColumns)[number]["name"]>();
    expectTypeOf<EventType>().toEqualTypeOf<"click" | "pageview" | "conversion" | "custom">();
  });

  it("lists the protobuf enum's event types in lower case", () => {
    const names = EventTypeSchema.values.filter((v) => v.number !== 0).map((v) => v.localName.toLowerCase());
    expect(EVENT_TYPES).toEqual(names);
  });
});
