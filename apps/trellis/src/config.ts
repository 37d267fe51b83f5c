import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BigQueryConfig, bigQueryConfigFrom, bigQueryEnvShape } from "@trellis/bigquery";
import { type CacheConfig, cacheConfigFrom, cacheEnvShape } from "@trellis/cache";
import { type DiscoveryConfig, discoveryConfigFrom, discoveryEnvShape } from "@trellis/discovery";
import { type GatewayConfig, gatewayConfigFrom, gatewayEnvShape } from "@trellis/gateway";
import { type IngestConfig, ingestConfigFrom, ingestEnvShape } from "@trellis/ingest";
import {
  configGroup,
  type Env,
  env,
  key,
  parseEnv,
  processConfigFrom,
  processEnvShape,
  withoutPeers,
} from "@trellis/platform";
import { type QueryConfig, queryConfigFrom, queryEnvShape } from "@trellis/query";
import { type StoreConfig, storeConfigFrom } from "@trellis/store";
import { type WardenConfig, wardenConfigFrom, wardenEnvShape } from "@trellis/warden";

/** Variables only the all-in-one process reads. */
export const demoEnvShape = configGroup("All in one", {
  TRELLIS_DEMO: key(env.bool(true), "boolean", "create the demo organization and key on an empty data directory"),
  TRELLIS_DEMO_EVENTS: key(env.wholeNumber(200_000), "events", "generated events the demo organization is seeded with"),
});

/**
 * Everything the all-in-one process reads: the union of the services' variables without the
 * peer URLs (its services call each other in-process), listening on 8080 like the gateway. The
 * context secret and the IP hash key may be unset there: see loadEmbeddedConfig.
 */
export const embeddedEnvShape = {
  ...withoutPeers({
    ...gatewayEnvShape,
    ...wardenEnvShape,
    ...queryEnvShape,
    ...cacheEnvShape,
    ...ingestEnvShape,
    ...discoveryEnvShape,
  }),
  ...processEnvShape(8080),
  TRELLIS_CONTEXT_SECRET: gatewayEnvShape.TRELLIS_CONTEXT_SECRET.optional(),
  TRELLIS_IP_HASH_KEY: ingestEnvShape.TRELLIS_IP_HASH_KEY.optional(),
  ...demoEnvShape,
  ...bigQueryEnvShape,
};

/** The shape each process parses, by process name, in the order the configuration table lists them. */
export const processEnvShapes = {
  gateway: gatewayEnvShape,
  warden: wardenEnvShape,
  query: queryEnvShape,
  cache: cacheEnvShape,
  ingest: ingestEnvShape,
  discovery: discoveryEnvShape,
  "all-in-one": embeddedEnvShape,
};

/**
 * Keys that must outlive restarts — the IP hash key (per-IP counts span history), the PII
 * master key (it unwraps the data keys of encrypted values): taken from the environment, else
 * kept in the data directory as `file`, created on first start.
 */
function keptKey(given: string | undefined, dataDir: string, file: string): string {
  if (given) return given;
  const path = join(dataDir, file);
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
  /** The BigQuery export; absent when no project is configured. */
  bigquery?: BigQueryConfig;
}

/**
 * The all-in-one process's config: each service's part is built by that service's own
 * mapping from the same parsed variables, without peer URLs. Throws ConfigError listing every
 * bad variable.
 */
export function loadEmbeddedConfig(environment: Env = process.env): EmbeddedConfig {
  const parsed = parseEnv(embeddedEnvShape, environment);
  const store = storeConfigFrom(parsed);
  const resolved = {
    ...parsed,
    // One process signs and verifies its own context tokens: a fresh secret per start is enough.
    TRELLIS_CONTEXT_SECRET: parsed.TRELLIS_CONTEXT_SECRET ?? randomBytes(32).toString("base64url"),
    TRELLIS_IP_HASH_KEY: keptKey(parsed.TRELLIS_IP_HASH_KEY, store.dataDir, "ip-hash-key"),
    TRELLIS_PII_MASTER_KEY: keptKey(parsed.TRELLIS_PII_MASTER_KEY, store.dataDir, "pii-master-key"),
  };
  return {
    process: processConfigFrom(parsed),
    store,
    demo: parsed.TRELLIS_DEMO,
    demoEvents: parsed.TRELLIS_DEMO_EVENTS,
    gateway: gatewayConfigFrom(resolved),
    warden: wardenConfigFrom(resolved),
    query: queryConfigFrom(resolved),
    cache: cacheConfigFrom(resolved),
    ingest: ingestConfigFrom(resolved),
    discovery: discoveryConfigFrom(resolved),
    bigquery: bigQueryConfigFrom(parsed),
  };
}
