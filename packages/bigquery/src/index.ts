/**
 * What the BigQuery export (services/export) and the campaign-performance read path
 * (services/query) share: the config group, the official client and its job runner, the
 * exported tables and their names, a day's data version in the store, and the effective
 * campaign the read path's tables are computed under. Neither service imports the other.
 */
export { createBigQueryClient, createJobRunner, type JobRunner } from "./client.js";
export { type BigQueryConfig, bigQueryConfigFrom, bigQueryEnvShape } from "./config.js";
export { dailyEventCounts, dayVersions, dayVersionsOf, eventsOfVersion } from "./day-versions.js";
export type { EffectiveCampaign } from "./effective-campaign.js";
export {
  attributionCreditTable,
  type BigQueryField,
  campaignClickKeysTable,
  campaignEventsTable,
  campaignPerformanceTable,
  campaignPerformanceViewDdl,
  campaignSessionsTable,
  EMPTY_DAY,
  type ExportedTable,
  exportedTables,
  exportStateTable,
  qualified,
  rawEventsTable,
  readPathTables,
  readPathVersion,
  rowAccessPolicyStatements,
} from "./tables.js";
