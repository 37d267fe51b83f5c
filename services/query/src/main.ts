import { runService } from "@trellis/platform";
import { createQueryApp } from "./app.js";
import { loadConfig } from "./config.js";

await runService({ name: "query", loadConfig, createApp: createQueryApp });
