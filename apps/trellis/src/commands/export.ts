import { bigQueryConfigFrom, bigQueryEnvShape } from "@trellis/bigquery";
import { createLogger, env, parseEnv } from "@trellis/platform";
import { createStore, ensureSchema, loadStoreConfig } from "@trellis/store";
import { exporterFor } from "../export-admin.js";
import { UsageError } from "./admin.js";

/**
 * `trellis export`: one BigQuery export run against the configured store, then exit — what a
 * Kubernetes CronJob runs beside the separately deployed services (the all-in-one process
 * schedules its own). Prints the run's status; exits 1 when a day failed or the run stopped.
 */
export async function exportCommand(): Promise<void> {
  const { TRELLIS_LOG_LEVEL: level } = parseEnv({ TRELLIS_LOG_LEVEL: env.logLevel().default("info") }, process.env);
  const logger = createLogger({ service: "trellis-export", level, destination: process.stderr });
  const config = bigQueryConfigFrom(parseEnv(bigQueryEnvShape, process.env));
  if (!config)
    throw new UsageError("set TRELLIS_BIGQUERY_PROJECT (and the other TRELLIS_BIGQUERY_* variables) to export");
  const store = createStore(loadStoreConfig(process.env), { logger: logger.child({ component: "store" }) });
  try {
    await ensureSchema(store, logger);
    const exporter = exporterFor({ ...config, intervalMs: 0 }, store, logger);
    exporter.start("demand");
    await exporter.idle();
    const run = exporter.status().run;
    await exporter.close();
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    if (!run || run.error || run.daysFailed > 0) process.exitCode = 1;
  } finally {
    await store.close();
  }
}
