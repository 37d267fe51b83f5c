import { runService } from "@trellis/platform";
import { createGatewayApp } from "./app.js";
import { loadConfig } from "./config.js";

await runService({ name: "gateway", loadConfig, createApp: (config, logger) => createGatewayApp(config, logger) });
