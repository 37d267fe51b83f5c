import { runService } from "@trellis/platform";
import { createCacheApp } from "./app.js";
import { loadConfig } from "./config.js";

await runService({ name: "cache", loadConfig, createApp: createCacheApp });
