import { runService } from "@trellis/platform";
import { createIngestApp } from "./app.js";
import { loadConfig } from "./config.js";

await runService({ name: "ingest", loadConfig, createApp: (config, logger) => createIngestApp(config, logger) });
