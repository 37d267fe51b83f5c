export { createIngestApp } from "./app.js";
export { type IngestConfig, ingestConfigFrom, ingestEnvShape, loadConfig as loadIngestConfig } from "./config.js";
export { type PreparedBatch, prepareBatch } from "./domain/prepare.js";
export { createEnricher, type Enricher } from "./enrich/index.js";
