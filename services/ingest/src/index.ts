export { type BulkPreparer, type BulkRun, createBulkPreparer } from "./adapters/bulk-preparer.js";
export { createIngestApp } from "./app.js";
export { type IngestConfig, ingestConfigFrom, ingestEnvShape, loadConfig as loadIngestConfig } from "./config.js";
export type { PreparedRun } from "./domain/captured.js";
export { type PreparedBatch, prepareBatch } from "./domain/prepare.js";
export { createEnricher, type Enricher, type EnricherOptions } from "./enrich/index.js";
export { rebuildRollupDays } from "./privacy/rollup-rebuild.js";
