export { createExportApp, type ExportApp, exportRestPaths } from "./app.js";
export { createBigQueryClient } from "./bigquery-client.js";
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
  attributionCreditTable,
  campaignPerformanceTable,
  campaignPerformanceViewDdl,
  exportedTables,
  exportStateTable,
  rowAccessPolicyStatements,
} from "./tables.js";
