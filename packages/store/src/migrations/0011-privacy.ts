import { type DdlTarget, everywhereTable } from "./ddl.js";

/**
 * Data-subject requests. None of these tables holds a deleted value: a deletion keeps how many
 * ids of each kind it named and a digest of them, the audit log the same, and a suppression
 * the SHA-256 of the organization, kind and id (enough to recognise a future event, not to
 * recover the id).
 */
export function privacyTables(target: DdlTarget): string[] {
  return [
    // The state of each deletion request; a change writes a newer row (ReplacingMergeTree).
    everywhereTable(target, "privacy_deletions", {
      columns: `    organization_id String,
    id String,
    request_key String,
    ids_digest String,
    status LowCardinality(String),
    visitor_ids UInt32,
    session_ids UInt32,
    click_ids UInt32,
    ip_hashes UInt32,
    suppress Bool,
    deleted Map(String, UInt64),
    rebuilt Map(String, UInt64),
    affected_dates Array(Date),
    error String,
    principal String,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "updated_at",
      tail: "ORDER BY (organization_id, id)",
    }),
    // Who asked what and when; rows are only ever added.
    everywhereTable(target, "privacy_audit_log", {
      columns: `    organization_id String,
    at DateTime64(3, 'UTC'),
    principal String,
    action LowCardinality(String),
    request_id String,
    ids_digest String,
    detail String`,
      engine: "MergeTree",
      tail: "ORDER BY (organization_id, at)",
    }),
    // Ids whose future events ingest refuses.
    everywhereTable(target, "privacy_suppressions", {
      columns: `    organization_id String,
    kind LowCardinality(String),
    id_hash String,
    request_id String,
    created_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "created_at",
      tail: "ORDER BY (organization_id, kind, id_hash)",
    }),
  ];
}

/**
 * How each organization keeps personal data out (redact or encrypt, parameters always
 * dropped) and its data keys, each wrapped with the master key. A shredded key's rows are
 * deleted and the table's parts rewritten, so not even the wrapped bytes remain.
 */
export function piiTables(target: DdlTarget): string[] {
  return [
    everywhereTable(target, "privacy_pii_settings", {
      columns: `    organization_id String,
    mode LowCardinality(String),
    drop_params Array(String),
    updated_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "updated_at",
      tail: "ORDER BY organization_id",
    }),
    everywhereTable(target, "privacy_data_keys", {
      columns: `    organization_id String,
    key_id String,
    wrapped String,
    created_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "created_at",
      tail: "ORDER BY (organization_id, key_id)",
    }),
  ];
}

/** Organization exports: their state and the parts written (as JSON), one row per change. */
export function exportsTable(target: DdlTarget): string[] {
  return [
    everywhereTable(target, "privacy_exports", {
      columns: `    organization_id String,
    id String,
    format LowCardinality(String),
    tables Array(String),
    status LowCardinality(String),
    parts String,
    error String,
    principal String,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "updated_at",
      tail: "ORDER BY (organization_id, id)",
    }),
  ];
}
