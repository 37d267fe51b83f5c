import { type DdlTarget, onCluster } from "./ddl.js";

/** Ingest looks up whether a retried batch was already written: a skip index on batch_id. */
export function batchIdIndex(target: DdlTarget): string[] {
  const table = target.cluster ? "analytics_events_local" : "analytics_events";
  return [
    `ALTER TABLE ${target.database}.${table}${onCluster(target)} ADD INDEX IF NOT EXISTS idx_batch_id batch_id TYPE bloom_filter(0.01) GRANULARITY 4`,
  ];
}
