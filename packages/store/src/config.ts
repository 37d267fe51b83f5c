import { configGroup, type Env, type EnvOf, env, key, parseEnv } from "@trellis/platform";
import { z } from "zod";

export interface StoreConfig {
  /** A ClickHouse server over HTTP; embedded chDB when absent. */
  url?: string;
  username?: string;
  password?: string;
  database: string;
  /** Cluster name: migrations render ON CLUSTER with Replicated and Distributed tables. */
  cluster?: string;
  /** Data directory of the embedded engine. */
  dataDir: string;
  requestTimeoutMs: number;
  maxOpenConnections: number;
  /** Embedded: a second local disk, the cold volume of the `tiered` storage policy. */
  coldPath?: string;
  /** Partitions older than this many days move to the cold volume (where a `tiered` policy exists); 0 or absent: never. */
  coldAfterDays?: number;
}

/** Variables of the store: a ClickHouse server, or the embedded engine and its data directory. */
export const storeEnvShape = configGroup("Store (ClickHouse)", {
  TRELLIS_CLICKHOUSE_URL: key(
    env.url().optional(),
    "URL",
    "ClickHouse server over HTTP; unset: embedded chDB in `TRELLIS_DATA_DIR`",
  ),
  TRELLIS_CLICKHOUSE_USER: key(z.string().optional(), "name", "server user name"),
  TRELLIS_CLICKHOUSE_PASSWORD: key(z.string().optional(), "secret", "server password"),
  // Any name is safe for tenant SQL, `default` included: it runs with <database>_sandbox, which
  // holds nothing, as its current database. The engine's own databases are refused.
  TRELLIS_CLICKHOUSE_DATABASE: key(
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, "expected a database name of lowercase letters, digits and _")
      .max(48, "expected at most 48 characters")
      .refine(
        (name) => !["system", "information_schema"].includes(name),
        "the engine's own databases cannot hold the product's tables",
      )
      .refine((name) => !name.endsWith("_sandbox"), "names ending in _sandbox are kept for tenant SQL's empty database")
      .default("trellis"),
    "name",
    "database (lowercase letters, digits, `_`; at most 48; not `system`, `information_schema` or `…_sandbox`); tenant SQL runs in `<database>_sandbox`",
  ),
  TRELLIS_CLICKHOUSE_CLUSTER: key(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a cluster name of letters, digits and _")
      .optional(),
    "name",
    "render migrations `ON CLUSTER` with Replicated and Distributed tables",
  ),
  TRELLIS_DATA_DIR: key(z.string().default(".data"), "path", "embedded engine's data directory (`<dir>/clickhouse`)"),
  TRELLIS_CLICKHOUSE_REQUEST_TIMEOUT_MS: key(env.positiveInt(30_000), "ms", "per-statement time-out"),
  TRELLIS_CLICKHOUSE_MAX_CONNECTIONS: key(env.positiveInt(10), "count", "HTTP connection pool size (server only)"),
  TRELLIS_COLD_PATH: key(
    z.string().optional(),
    "path",
    "embedded engine: a second disk for old partitions (the `tiered` storage policy's `cold` volume); unset: one disk",
  ),
  TRELLIS_COLD_AFTER_DAYS: key(
    env.wholeNumber(730),
    "days",
    "age after which a month's partition moves to the cold volume, where a `tiered` storage policy exists (embedded: `TRELLIS_COLD_PATH`; a server: its own config); `0`: never",
  ),
});

/** The store's config from variables parsed with storeEnvShape. */
export function storeConfigFrom(parsed: EnvOf<typeof storeEnvShape>): StoreConfig {
  return {
    url: parsed.TRELLIS_CLICKHOUSE_URL,
    username: parsed.TRELLIS_CLICKHOUSE_USER,
    password: parsed.TRELLIS_CLICKHOUSE_PASSWORD,
    database: parsed.TRELLIS_CLICKHOUSE_DATABASE,
    cluster: parsed.TRELLIS_CLICKHOUSE_CLUSTER,
    dataDir: parsed.TRELLIS_DATA_DIR,
    requestTimeoutMs: parsed.TRELLIS_CLICKHOUSE_REQUEST_TIMEOUT_MS,
    maxOpenConnections: parsed.TRELLIS_CLICKHOUSE_MAX_CONNECTIONS,
    coldPath: parsed.TRELLIS_COLD_PATH,
    coldAfterDays: parsed.TRELLIS_COLD_AFTER_DAYS,
  };
}

/** Parses the store's variables from `environment`; throws ConfigError listing every bad one. */
export function loadStoreConfig(environment: Env): StoreConfig {
  return storeConfigFrom(parseEnv(storeEnvShape, environment));
}
