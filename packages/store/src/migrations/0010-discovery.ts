import { type DdlTarget, everywhereTable } from "./ddl.js";

/**
 * What discovery keeps per organization: every run with its whole answer (so a pattern can be
 * adopted later and a run listed again), the schedules that start runs, the webhook that
 * announces them, and the log of every delivery attempt. Small tables every node holds whole;
 * each is read only by organization (the first key column). Runs and delivery attempts are
 * kept for DISCOVERY_HISTORY_DAYS: every interactive call stores a run (a dashboard asks for
 * anomalies on each page load), so without an end the table would grow with page views.
 */
export const DISCOVERY_HISTORY_DAYS = 90;

export function discoveryTables(target: DdlTarget): string[] {
  return [
    everywhereTable(target, "discovery_runs", {
      columns: `    organization_id String,
    run_id String,
    kind LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    start_date String,
    end_date String,
    time_zone String,
    trigger String,
    ruleset_version UInt64,
    findings UInt32,
    elapsed_ms Float64,
    result String CODEC(ZSTD(3))`,
      engine: "MergeTree",
      tail: `ORDER BY (organization_id, created_at, run_id)
TTL toDateTime(created_at) + toIntervalDay(${DISCOVERY_HISTORY_DAYS})`,
    }),
    // A schedule's newest row wins (updated_at); a deletion is a row with deleted = 1.
    everywhereTable(target, "discovery_schedules", {
      columns: `    organization_id String,
    schedule_id String,
    updated_at DateTime64(3, 'UTC'),
    deleted UInt8,
    definition String`,
      engine: "ReplacingMergeTree",
      engineArgs: "updated_at",
      tail: "ORDER BY (organization_id, schedule_id)",
    }),
    everywhereTable(target, "discovery_webhooks", {
      columns: `    organization_id String,
    updated_at DateTime64(3, 'UTC'),
    url String,
    secret String`,
      engine: "ReplacingMergeTree",
      engineArgs: "updated_at",
      tail: "ORDER BY organization_id",
    }),
    everywhereTable(target, "discovery_webhook_deliveries", {
      columns: `    organization_id String,
    delivery_id String,
    run_id String,
    url String,
    attempt UInt32,
    status UInt16,
    outcome LowCardinality(String),
    error String,
    at DateTime64(3, 'UTC')`,
      engine: "MergeTree",
      tail: `ORDER BY (organization_id, at, delivery_id)
TTL toDateTime(at) + toIntervalDay(${DISCOVERY_HISTORY_DAYS})`,
    }),
  ];
}
