export { createIngestApp } from "./app.js";
export { type IngestConfig, ingestConfigFrom, ingestEnvShape, loadConfig as loadIngestConfig } from "./config.js";
