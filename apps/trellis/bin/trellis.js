#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, with telemetry preloaded.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--import", join(src, "telemetry.ts"), join(src, "main.ts"), ...process.argv.slice(2)],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
