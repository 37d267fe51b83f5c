import { runService } from "@trellis/platform";
import { createWardenApp } from "./app.js";
import { loadConfig } from "./config.js";

await runService({ name: "warden", loadConfig, createApp: createWardenApp });
