export { createExportApp, type ExportApp, exportRestPaths } from "./app.js";
export { createBigQueryClient, createJobRunner, type JobRunner } from "./bigquery-client.js";
export { type BigQueryConfig, bigQueryConfigFrom, bigQueryEnvShape } from "./config.js";
export { attributionCreditRows, campaignPerformanceRows, dayVersions, type ExportRow } from "./day-rows.js";
export {
  createExporter,
  type DayFailure,
  type Exporter,
  type ExportStatus,
  type ExportTrigger,
} from "./exporter.js";
export {
  campaignClickKeysStatement,
  campaignEventsStatement,
  campaignSessionsStatement,
  type EffectiveCampaign,
  type ReadPathStatement,
} from "./read-path-rows.js";
export {
  attributionCreditTable,
  campaignClickKeysTable,
  campaignEventsTable,
  campaignPerformanceTable,
  campaignPerformanceViewDdl,
  campaignSessionsTable,
  EMPTY_DAY,
  exportedTables,
  exportStateTable,
  qualified,
  readPathTables,
  readPathVersion,
  rowAccessPolicyStatements,
} from "./tables.js";
