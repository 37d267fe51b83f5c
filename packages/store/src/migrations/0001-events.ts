import { eventColumns } from "../events-table.js";
import { columnDefinition, type DdlTarget, onCluster, shardedTable } from "./ddl.js";

/**
 * The raw facts. Partitioned by month (never by organization: thousands of organizations
 * times months would be thousands of partitions); the primary key starts with the
 * organization so every tenant-scoped query prunes to one organization's granules. The columns
 * are the event definition's (events-table.ts) that this migration created.
 */
export function eventsTable(target: DdlTarget): string[] {
  const columns = [
    ...eventColumns.filter((c) => c.addedIn === undefined).map(columnDefinition),
    "    INDEX idx_click_id click_id TYPE bloom_filter(0.01) GRANULARITY 4",
    "    INDEX idx_event_id event_id TYPE bloom_filter(0.01) GRANULARITY 4",
  ].join(",\n");
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
