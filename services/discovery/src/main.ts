import { runService } from "@trellis/platform";
import { createDiscoveryApp } from "./app.js";
import { loadConfig } from "./config.js";

await runService({ name: "discovery", loadConfig, createApp: (config, logger) => createDiscoveryApp(config, logger) });
