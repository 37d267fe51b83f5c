import { createHash } from "node:crypto";
import { createDatabase, eventsTable, sandboxDatabaseOf } from "./0001-events.js";
import { wardenTables } from "./0002-warden.js";
import { batchIdIndex } from "./0003-batch-index.js";
import { rollups, rollupTables } from "./0004-rollups.js";
import { campaignRulesetsTable } from "./0006-campaign-rulesets.js";
import { shardEventsByOrganization } from "./0008-shard-by-organization.js";
import { tenantSqlAccess } from "./0009-tenant-sql-access.js";
import { discoveryTables } from "./0010-discovery.js";
import { exportsTable, piiTables, privacyTables } from "./0011-privacy.js";
import { columnByColumnMerges } from "./0014-column-merges.js";
import { landingSessionsTable } from "./0015-landing-sessions.js";
import { type DdlTarget, everywhereTable } from "./ddl.js";

export {
  type RollupSpec,
  rollupDayOf,
  rollupDimensions,
  rollupRebuild,
  rollupSelect,
  rollups,
} from "./0004-rollups.js";
export { organizationShardingKey } from "./0008-shard-by-organization.js";
export {
  organizationSetting,
  tenantSqlCeilings,
  tenantSqlRole,
  tenantSqlTables,
  tenantSqlUser,
  tenantSqlUserStatements,
} from "./0009-tenant-sql-access.js";
export {
  LANDING_ORDER_SQL,
  landingFactColumns,
  landingSessionsRebuild,
  landingSessionsSelect,
  SESSION_KEY_HASH_SQL,
} from "./0015-landing-sessions.js";
export type { DdlTarget };
export { sandboxDatabaseOf };

export interface Migration {
  version: number;
  name: string;
  statements(target: DdlTarget): string[];
}

/** Every schema change, in order. Never edit a released one: add the next version. */
export const migrations: readonly Migration[] = [
  { version: 1, name: "analytics events", statements: (t) => eventsTable(t) },
  { version: 2, name: "warden organizations and api keys", statements: (t) => wardenTables(t) },
  { version: 3, name: "batch id skip index for idempotent ingest", statements: (t) => batchIdIndex(t) },
  { version: 4, name: "hourly and daily rollups", statements: (t) => rollupTables(t, rollups.slice(0, 2)) },
  { version: 5, name: "daily overview rollup", statements: (t) => rollupTables(t, rollups.slice(2, 3)) },
  { version: 6, name: "campaign ruleset versions", statements: (t) => campaignRulesetsTable(t) },
  { version: 7, name: "daily totals rollup", statements: (t) => rollupTables(t, rollups.slice(3, 4)) },
  { version: 8, name: "shard events by organization", statements: (t) => shardEventsByOrganization(t) },
  { version: 9, name: "tenant SQL role, row policies and settings profile", statements: (t) => tenantSqlAccess(t) },
  { version: 10, name: "discovery runs, schedules and webhooks", statements: (t) => discoveryTables(t) },
  { version: 11, name: "privacy requests, audit log and suppressions", statements: (t) => privacyTables(t) },
  { version: 12, name: "personal data settings and data keys", statements: (t) => piiTables(t) },
  { version: 13, name: "organization exports", statements: (t) => exportsTable(t) },
  { version: 14, name: "events parts merged column by column", statements: (t) => columnByColumnMerges(t) },
  { version: 15, name: "landing sessions", statements: (t) => landingSessionsTable(t) },
];

/** The bookkeeping table and database, created before any migration runs. */
export function bootstrapStatements(target: DdlTarget): string[] {
  return [
    ...createDatabase(target),
    everywhereTable(target, "schema_migrations", {
      columns: `    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC')`,
      engine: "ReplacingMergeTree",
      engineArgs: "applied_at",
      tail: "ORDER BY version",
    }),
  ];
}

/**
 * The first 16 hex digits of a SHA-256 of the migration's DDL for `target`: `migrate()` warns
 * when an applied migration's checksum has changed since it ran.
 */
export function checksum(migration: Migration, target: DdlTarget): string {
  return createHash("sha256").update(migration.statements(target).join(";\n")).digest("hex").slice(0, 16);
}

/** All DDL for a target, in order: what a cluster operator can review or apply by hand. */
export function renderSchema(target: DdlTarget): string[] {
  return [...bootstrapStatements(target), ...migrations.flatMap((m) => m.statements(target))];
}
