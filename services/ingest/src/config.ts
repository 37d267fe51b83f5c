import { availableParallelism } from "node:os";
import { type Env, env, parseEnv, processConfigFrom, processEnvShape } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";
import { z } from "zod";

export interface IngestConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
  contextSecret: string;
  store: StoreConfig;
  /** Key of the IP hash; stable across restarts, or per-IP counts over history break. */
  ipHashKey: string;
  geo: { cityDatabasePath?: string; asnDatabasePath?: string };
  writer: { table: string; maxBatchRows: number; flushIntervalMs: number; maxBufferedRows: number };
  /** Worker threads that validate, enrich and encode batches; 0 does it on the serving thread. */
  workers: number;
  /** The cache service, told when new data makes cached answers stale. */
  cacheUrl?: string;
}

export const ingestEnvShape = {
  ...processEnvShape(8084),
  ...storeEnvShape,
  TRELLIS_CONTEXT_SECRET: env.secret(),
  TRELLIS_IP_HASH_KEY: env.secret(),
  TRELLIS_GEO_CITY_DB: z.string().optional(),
  TRELLIS_GEO_ASN_DB: z.string().optional(),
  TRELLIS_INGEST_TABLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, "expected a table name of lowercase letters, digits and _")
    .default("analytics_events"),
  TRELLIS_INGEST_BATCH_ROWS: env.positiveInt(50_000),
  TRELLIS_INGEST_FLUSH_MS: env.positiveInt(200),
  TRELLIS_INGEST_BUFFER_ROWS: env.positiveInt(500_000),
  // One worker wherever there is a second core: it takes validation, enrichment and encoding off
  // the serving thread, which otherwise bounds ingest (README, "Capturing events").
  TRELLIS_INGEST_WORKERS: env.wholeNumber(availableParallelism() >= 2 ? 1 : 0),
  TRELLIS_CACHE_URL: env.url().optional(),
};

export function ingestConfigFrom(parsed: z.infer<z.ZodObject<typeof ingestEnvShape>>): IngestConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    store: storeConfigFrom(parsed),
    ipHashKey: parsed.TRELLIS_IP_HASH_KEY,
    geo: { cityDatabasePath: parsed.TRELLIS_GEO_CITY_DB, asnDatabasePath: parsed.TRELLIS_GEO_ASN_DB },
    writer: {
      table: parsed.TRELLIS_INGEST_TABLE,
      maxBatchRows: parsed.TRELLIS_INGEST_BATCH_ROWS,
      flushIntervalMs: parsed.TRELLIS_INGEST_FLUSH_MS,
      maxBufferedRows: parsed.TRELLIS_INGEST_BUFFER_ROWS,
    },
    workers: parsed.TRELLIS_INGEST_WORKERS,
    cacheUrl: parsed.TRELLIS_CACHE_URL,
  };
}

export function loadConfig(environment: Env = process.env): IngestConfig {
  return ingestConfigFrom(parseEnv(ingestEnvShape, environment));
}
