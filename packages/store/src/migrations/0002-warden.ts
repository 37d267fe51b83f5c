import { type DdlTarget, everywhereTable } from "./ddl.js";

/** Organizations and API keys of the reference Warden. Keys are stored only as hashes. */
export function wardenTables(target: DdlTarget): string[] {
  return [
    everywhereTable(target, "organizations", {
      columns: `    id String,
    name String,
    retention_days UInt16,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "updated_at",
      tail: "ORDER BY id",
    }),
    everywhereTable(target, "api_keys", {
      columns: `    id String,
    organization_id String,
    name String,
    prefix String,
    secret_hash String,
    scopes Array(LowCardinality(String)),
    created_at DateTime64(3, 'UTC'),
    revoked_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "updated_at",
      tail: "ORDER BY id",
    }),
  ];
}
