export { createExportApp, type ExportApp, exportRestPaths } from "./app.js";
export { attributionCreditRows, campaignPerformanceRows, type ExportRow } from "./day-rows.js";
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
  type ReadPathStatement,
} from "./read-path-rows.js";
