import { readFileSync } from "node:fs";
import { ConfigError, configGroup, type EnvOf, env, key } from "@trellis/platform";
import { z } from "zod";

export interface BigQueryConfig {
  projectId: string;
  /** One dataset for every organization (see README: one dataset, row access policies). */
  dataset: string;
  location: string;
  /** A service account key file; unset: Application Default Credentials. */
  keyFile?: string;
  /** The REST API's root; unset: Google's. Only for an emulator or a test double. */
  apiEndpoint?: string;
  /** How often the scheduled export runs; 0: on demand only. */
  intervalMs: number;
  /** How many days back each run looks for changed days (today included). */
  lookbackDays: number;
  /** Deadline of one BigQuery job, from insert to its result. */
  jobTimeoutMs: number;
  /**
   * Campaign performance over at least this many whole UTC days is answered from the exported
   * read-path tables when they are current (the seed's "L3"); 0: never.
   */
  readMinDays: number;
  /** Also export raw events (the `events` table), a day at a time through a load job. */
  rawEvents: boolean;
}

export const bigQueryEnvShape = configGroup("BigQuery export", {
  TRELLIS_BIGQUERY_PROJECT: key(
    z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "expected a Google Cloud project id (6-30 lowercase letters, digits, -)")
      .optional(),
    "project id",
    "Google Cloud project the analytics views are exported to; unset turns the export off",
  ),
  TRELLIS_BIGQUERY_DATASET: key(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,1023}$/, "expected a dataset name of letters, digits and _")
      .default("trellis_analytics"),
    "name",
    "the one dataset every organization's rows go to (row access policies keep organizations apart)",
  ),
  TRELLIS_BIGQUERY_LOCATION: key(
    z
      .string()
      .regex(/^[A-Za-z]+(-[a-z]+[0-9]+)?$/, "expected a BigQuery location such as US, EU or europe-west4")
      .default("US"),
    "location",
    "where the dataset lives and its jobs run",
  ),
  TRELLIS_BIGQUERY_KEY_FILE: key(
    z.string().optional(),
    "path",
    "service account key file (JSON); unset: Application Default Credentials",
  ),
  TRELLIS_BIGQUERY_API_ENDPOINT: key(
    env.url().optional(),
    "URL",
    "BigQuery REST root instead of Google's, for an emulator",
  ),
  TRELLIS_BIGQUERY_EXPORT_INTERVAL_MS: key(
    env.wholeNumber(3_600_000),
    "ms",
    "how often the scheduled export runs; `0`: only on demand",
  ),
  TRELLIS_BIGQUERY_LOOKBACK_DAYS: key(
    env.positiveInt(35),
    "days",
    "days back (today included) each run checks for changed data",
  ),
  TRELLIS_BIGQUERY_JOB_TIMEOUT_MS: key(env.timeoutMs(120_000), "ms", "deadline of one BigQuery job"),
  TRELLIS_BIGQUERY_RAW_EVENTS: key(
    env.bool(false),
    "boolean",
    "also export raw events (table `events`), each changed day replaced through a load job",
  ),
  TRELLIS_BIGQUERY_READ_MIN_DAYS: key(
    env.wholeNumber(0),
    "days",
    "campaign performance over at least this many UTC days is answered from the exported tables when every day is current (`meta.source` BIGQUERY); `0`: never",
  ),
});

/** The export's config; undefined when no project is set. Checks the key file now, not at the first run. */
export function bigQueryConfigFrom(parsed: EnvOf<typeof bigQueryEnvShape>): BigQueryConfig | undefined {
  const readMinDays = parsed.TRELLIS_BIGQUERY_READ_MIN_DAYS;
  if (!parsed.TRELLIS_BIGQUERY_PROJECT) {
    if (readMinDays > 0)
      throw new ConfigError(["TRELLIS_BIGQUERY_READ_MIN_DAYS: the read path needs TRELLIS_BIGQUERY_PROJECT"]);
    return undefined;
  }
  if (readMinDays > parsed.TRELLIS_BIGQUERY_LOOKBACK_DAYS)
    throw new ConfigError([
      `TRELLIS_BIGQUERY_READ_MIN_DAYS: ${readMinDays} days is more than the ${parsed.TRELLIS_BIGQUERY_LOOKBACK_DAYS} days the export keeps current (TRELLIS_BIGQUERY_LOOKBACK_DAYS); no range could be answered`,
    ]);
  const keyFile = parsed.TRELLIS_BIGQUERY_KEY_FILE;
  if (keyFile) checkKeyFile(keyFile);
  return {
    projectId: parsed.TRELLIS_BIGQUERY_PROJECT,
    dataset: parsed.TRELLIS_BIGQUERY_DATASET,
    location: parsed.TRELLIS_BIGQUERY_LOCATION,
    keyFile,
    apiEndpoint: parsed.TRELLIS_BIGQUERY_API_ENDPOINT,
    intervalMs: parsed.TRELLIS_BIGQUERY_EXPORT_INTERVAL_MS,
    lookbackDays: parsed.TRELLIS_BIGQUERY_LOOKBACK_DAYS,
    jobTimeoutMs: parsed.TRELLIS_BIGQUERY_JOB_TIMEOUT_MS,
    readMinDays,
    rawEvents: parsed.TRELLIS_BIGQUERY_RAW_EVENTS,
  };
}

function checkKeyFile(path: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError([
      `TRELLIS_BIGQUERY_KEY_FILE: cannot read a JSON key file at ${path}: ${(error as Error).message}`,
    ]);
  }
  const keyJson = parsed as { type?: unknown; client_email?: unknown; private_key?: unknown };
  if (
    keyJson.type !== "service_account" ||
    typeof keyJson.client_email !== "string" ||
    typeof keyJson.private_key !== "string"
  ) {
    throw new ConfigError([
      `TRELLIS_BIGQUERY_KEY_FILE: ${path} is not a service account key (expected type "service_account", client_email and private_key)`,
    ]);
  }
}
