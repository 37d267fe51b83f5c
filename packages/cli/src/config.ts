import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CacheConfig,
  cacheRedisEnvShape,
  cacheTuningEnvShape,
  cacheTuningFrom,
  redisConfigFrom,
} from "@trellis/cache";
import type { DiscoveryConfig } from "@trellis/discovery";
import type { GatewayConfig } from "@trellis/gateway";
import { type IngestConfig, ingestEnvShape } from "@trellis/ingest";
import {
  connectionTimeoutsEnvShape,
  connectionTimeoutsFrom,
  type Env,
  env,
  parseEnv,
  processConfigFrom,
  processEnvShape,
} from "@trellis/platform";
import type { QueryConfig } from "@trellis/query";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";
import type { WardenConfig } from "@trellis/warden";
import { wardenEnvShape } from "@trellis/warden";
import { z } from "zod";

/** Everything the all-in-one process reads: the union of the services' variables, minus peer URLs. */
export const embeddedEnvShape = {
  ...processEnvShape(8080),
  ...storeEnvShape,
  TRELLIS_CONTEXT_SECRET: env.secret().optional(),
  TRELLIS_CONTEXT_TTL_SECONDS: env.positiveInt(60),
  TRELLIS_AUTH_CACHE_SECONDS: env.positiveInt(30),
  TRELLIS_REQUEST_MAX_BYTES: env.positiveInt(16 * 1024 * 1024),
  TRELLIS_REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
  ...connectionTimeoutsEnvShape,
  TRELLIS_GATEWAY_HOT_ANSWER_MS: env.wholeNumber(250),
  TRELLIS_GATEWAY_HOT_ANSWER_BYTES: env.wholeNumber(32 * 1024 * 1024),
  TRELLIS_CACHE_L1_MAX_BYTES: env.positiveInt(256 * 1024 * 1024),
  TRELLIS_CACHE_MAX_VALUE_BYTES: env.positiveInt(8 * 1024 * 1024),
  ...cacheRedisEnvShape,
  ...cacheTuningEnvShape,
  TRELLIS_JWT_SECRET: wardenEnvShape.TRELLIS_JWT_SECRET,
  TRELLIS_JWT_JWKS_URL: wardenEnvShape.TRELLIS_JWT_JWKS_URL,
  TRELLIS_JWT_ISSUER: wardenEnvShape.TRELLIS_JWT_ISSUER,
  TRELLIS_JWT_AUDIENCE: wardenEnvShape.TRELLIS_JWT_AUDIENCE,
  TRELLIS_JWT_ORG_CLAIM: wardenEnvShape.TRELLIS_JWT_ORG_CLAIM,
  /** When set, the warden admin RPCs are served on the process's port, for this bearer token. */
  TRELLIS_WARDEN_ADMIN_TOKEN: wardenEnvShape.TRELLIS_WARDEN_ADMIN_TOKEN,
  TRELLIS_IP_HASH_KEY: env.secret().optional(),
  TRELLIS_GEO_CITY_DB: ingestEnvShape.TRELLIS_GEO_CITY_DB,
  TRELLIS_GEO_ASN_DB: ingestEnvShape.TRELLIS_GEO_ASN_DB,
  TRELLIS_INGEST_TABLE: ingestEnvShape.TRELLIS_INGEST_TABLE,
  TRELLIS_INGEST_BATCH_ROWS: ingestEnvShape.TRELLIS_INGEST_BATCH_ROWS,
  TRELLIS_INGEST_FLUSH_MS: ingestEnvShape.TRELLIS_INGEST_FLUSH_MS,
  TRELLIS_INGEST_BUFFER_ROWS: ingestEnvShape.TRELLIS_INGEST_BUFFER_ROWS,
  TRELLIS_INGEST_WORKERS: ingestEnvShape.TRELLIS_INGEST_WORKERS,
  TRELLIS_DEMO: env.bool(true),
  TRELLIS_DEMO_EVENTS: z.coerce
    .number({ error: "expected a whole number of events" })
    .int()
    .min(0, "expected 0 or more")
    .default(200_000),
};

/**
 * The IP hash key must outlive restarts (per-IP counts span history): taken from the
 * environment, else kept in the data directory, created on first start.
 */
function ipHashKey(given: string | undefined, dataDir: string): string {
  if (given) return given;
  const path = join(dataDir, "ip-hash-key");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString("base64url");
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

export interface EmbeddedConfig {
  process: ReturnType<typeof processConfigFrom>;
  store: StoreConfig;
  /** Create a demo organization and key on an empty data directory… */
  demo: boolean;
  /** …and seed it with this many generated events. */
  demoEvents: number;
  gateway: GatewayConfig;
  warden: WardenConfig;
  query: QueryConfig;
  cache: CacheConfig;
  ingest: IngestConfig;
  discovery: DiscoveryConfig;
}

export function loadEmbeddedConfig(environment: Env = process.env): EmbeddedConfig {
  const parsed = parseEnv(embeddedEnvShape, environment);
  const processConfig = processConfigFrom(parsed);
  const store = storeConfigFrom(parsed);
  // One process signs and verifies its own context tokens: a fresh secret per start is enough.
  const contextSecret = parsed.TRELLIS_CONTEXT_SECRET ?? randomBytes(32).toString("base64url");
  const internal = { ...processConfig, contextSecret, store };
  return {
    process: processConfig,
    store,
    demo: parsed.TRELLIS_DEMO,
    demoEvents: parsed.TRELLIS_DEMO_EVENTS,
    gateway: {
      ...processConfig,
      contextSecret,
      contextTtlSeconds: parsed.TRELLIS_CONTEXT_TTL_SECONDS,
      authCacheSeconds: parsed.TRELLIS_AUTH_CACHE_SECONDS,
      requestMaxBytes: parsed.TRELLIS_REQUEST_MAX_BYTES,
      requestTimeoutMs: parsed.TRELLIS_REQUEST_TIMEOUT_MS,
      connectionTimeouts: connectionTimeoutsFrom(parsed),
      hotAnswerMs: parsed.TRELLIS_GATEWAY_HOT_ANSWER_MS,
      hotAnswerMaxBytes: parsed.TRELLIS_GATEWAY_HOT_ANSWER_BYTES,
      peers: {},
    },
    warden: {
      ...processConfig,
      store,
      jwt: {
        secret: parsed.TRELLIS_JWT_SECRET,
        jwksUrl: parsed.TRELLIS_JWT_JWKS_URL,
        issuer: parsed.TRELLIS_JWT_ISSUER,
        audience: parsed.TRELLIS_JWT_AUDIENCE,
        organizationClaim: parsed.TRELLIS_JWT_ORG_CLAIM,
      },
      adminToken: parsed.TRELLIS_WARDEN_ADMIN_TOKEN,
      authCacheSeconds: parsed.TRELLIS_AUTH_CACHE_SECONDS,
    },
    query: internal,
    cache: {
      ...processConfig,
      contextSecret,
      l1MaxBytes: parsed.TRELLIS_CACHE_L1_MAX_BYTES,
      maxValueBytes: parsed.TRELLIS_CACHE_MAX_VALUE_BYTES,
      redis: redisConfigFrom(parsed),
      tuning: cacheTuningFrom(parsed),
    },
    ingest: {
      ...internal,
      ipHashKey: ipHashKey(parsed.TRELLIS_IP_HASH_KEY, store.dataDir),
      geo: { cityDatabasePath: parsed.TRELLIS_GEO_CITY_DB, asnDatabasePath: parsed.TRELLIS_GEO_ASN_DB },
      writer: {
        table: parsed.TRELLIS_INGEST_TABLE,
        maxBatchRows: parsed.TRELLIS_INGEST_BATCH_ROWS,
        flushIntervalMs: parsed.TRELLIS_INGEST_FLUSH_MS,
        maxBufferedRows: parsed.TRELLIS_INGEST_BUFFER_ROWS,
      },
      workers: parsed.TRELLIS_INGEST_WORKERS,
    },
    discovery: internal,
  };
}
