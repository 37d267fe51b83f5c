import {
  ConfigError,
  configGroup,
  contextSecretEnvShape,
  type EnvOf,
  env,
  key,
  type ProcessConfig,
  serviceConfig,
} from "@trellis/platform";
import { z } from "zod";

export interface RedisConfig {
  /** A standalone server (`url`) or the seed nodes of a Redis Cluster (`nodes`). */
  mode: "standalone" | "cluster";
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url?: string;
  nodes?: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  /** Every key starts with it: `<prefix>:{<organization>}:…`. */
  keyPrefix: string;
  /** Longest wait for any one Redis call before it counts as a failure and the call is a miss. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** Failures among the last 20 Redis calls that open the circuit breaker. */
  breakerFailures: number;
  /** How long an open breaker skips Redis before one probe call may try it again. */
  breakerOpenMs: number;
}

export interface CacheTuning {
  /** How long a copy of an organization's versions is used before Redis is asked again. */
  versionsMaxAgeMs: number;
  /** Longest an entry is served stale past its TTL while one caller recomputes it. */
  staleMaxSeconds: number;
  /** XFetch β: how eagerly hot entries are recomputed before they expire (0 turns it off). */
  earlyRecomputeBeta: number;
}

export const cacheTuningDefaults: CacheTuning = {
  versionsMaxAgeMs: 500,
  staleMaxSeconds: 60,
  earlyRecomputeBeta: 1,
};

export interface CacheConfig extends ProcessConfig {
  contextSecret: string;
  /** Upper bound of the in-process cache, in bytes. */
  l1MaxBytes: number;
  /** Largest single value accepted, in bytes. */
  maxValueBytes: number;
  /** The shared second level; the cache is in-process only without it. */
  redis?: RedisConfig;
  /** Defaults to cacheTuningDefaults. */
  tuning?: Partial<CacheTuning>;
}

const clusterNodes = z
  .string()
  .regex(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, "expected host:port pairs separated by commas")
  .transform((value) =>
    value.split(",").map((pair) => {
      const [host = "", port = ""] = pair.split(":");
      return { host, port: Number(port) };
    }),
  );

/** The in-process level's bounds. */
export const cacheSizeKeys = configGroup("Cache", {
  TRELLIS_CACHE_L1_MAX_BYTES: key(env.positiveInt(256 * 1024 * 1024), "bytes", "upper bound of the in-process cache"),
  TRELLIS_CACHE_MAX_VALUE_BYTES: key(env.positiveInt(8 * 1024 * 1024), "bytes", "largest single cached answer"),
});

export const cacheTuningEnvShape = configGroup("Cache", {
  TRELLIS_CACHE_VERSIONS_MAX_AGE_MS: key(
    env.wholeNumber(cacheTuningDefaults.versionsMaxAgeMs),
    "ms",
    "how long a copy of an organization's versions is used before Redis is asked again; `0`: always ask",
  ),
  TRELLIS_CACHE_STALE_MAX_SECONDS: key(
    env.wholeNumber(cacheTuningDefaults.staleMaxSeconds),
    "seconds",
    "longest an entry is served stale past its TTL while one caller recomputes it; `0` turns it off",
  ),
  TRELLIS_CACHE_EARLY_RECOMPUTE_BETA: key(
    z.coerce
      .number({ error: "expected a number from 0 to 10" })
      .min(0, "expected a number from 0 to 10")
      .max(10, "expected a number from 0 to 10")
      .default(cacheTuningDefaults.earlyRecomputeBeta),
    "β, 0–10",
    "XFetch β: how eagerly hot entries are recomputed before they expire; `0` turns it off",
  ),
});

/** Variables of the Redis second level; with neither URL nor nodes set the cache is L1 only. */
export const cacheRedisEnvShape = configGroup("Cache: Redis", {
  TRELLIS_REDIS_URL: key(
    z
      .string()
      .regex(/^rediss?:\/\/.+/, "expected a Redis URL such as redis://127.0.0.1:6379")
      .optional(),
    "URL",
    "one Redis server, `redis://[user:password@]host:port[/db]` (`rediss://` for TLS); with neither it nor the nodes the cache is in-process only",
  ),
  TRELLIS_REDIS_CLUSTER_NODES: key(
    clusterNodes.optional(),
    "host:port list",
    "Redis Cluster seed nodes, `host:port,host:port` (not with the URL)",
  ),
  TRELLIS_REDIS_USERNAME: key(z.string().optional(), "name", "Redis user (a URL may carry its own)"),
  TRELLIS_REDIS_PASSWORD: key(z.string().optional(), "secret", "Redis password (a URL may carry its own)"),
  TRELLIS_REDIS_KEY_PREFIX: key(
    z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/, "expected 1-64 letters, digits, ':', '_' or '-'")
      .default("trellis:cache"),
    "string",
    "first segment of every key: `<prefix>:{<organization>}:…`",
  ),
  TRELLIS_REDIS_COMMAND_TIMEOUT_MS: key(
    env.positiveInt(100),
    "ms",
    "longest wait for one Redis call before it counts as a failure and the call is a miss",
  ),
  TRELLIS_REDIS_CONNECT_TIMEOUT_MS: key(
    env.positiveInt(1_000),
    "ms",
    "connection time-out; also how long start-up waits for Redis",
  ),
  TRELLIS_REDIS_BREAKER_FAILURES: key(
    z.coerce
      .number({ error: "expected a whole number from 1 to 20" })
      .int("expected a whole number from 1 to 20")
      .min(1, "expected a whole number from 1 to 20")
      .max(20, "expected a whole number from 1 to 20")
      .default(5),
    "count, 1–20",
    "failures among the last 20 Redis calls that open the circuit breaker",
  ),
  TRELLIS_REDIS_BREAKER_OPEN_MS: key(
    env.positiveInt(1_000),
    "ms",
    "how long an open breaker skips Redis before one probe call may try it again",
  ),
});

/** The Redis level from its parsed variables; undefined when none is configured. */
export function redisConfigFrom(parsed: EnvOf<typeof cacheRedisEnvShape>): RedisConfig | undefined {
  if (parsed.TRELLIS_REDIS_URL && parsed.TRELLIS_REDIS_CLUSTER_NODES) {
    throw new ConfigError([
      "TRELLIS_REDIS_CLUSTER_NODES: set either it (a Redis Cluster) or TRELLIS_REDIS_URL (one server), not both",
    ]);
  }
  const common = {
    username: parsed.TRELLIS_REDIS_USERNAME,
    password: parsed.TRELLIS_REDIS_PASSWORD,
    keyPrefix: parsed.TRELLIS_REDIS_KEY_PREFIX,
    commandTimeoutMs: parsed.TRELLIS_REDIS_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: parsed.TRELLIS_REDIS_CONNECT_TIMEOUT_MS,
    breakerFailures: parsed.TRELLIS_REDIS_BREAKER_FAILURES,
    breakerOpenMs: parsed.TRELLIS_REDIS_BREAKER_OPEN_MS,
  };
  if (parsed.TRELLIS_REDIS_CLUSTER_NODES)
    return { mode: "cluster", nodes: parsed.TRELLIS_REDIS_CLUSTER_NODES, ...common };
  if (parsed.TRELLIS_REDIS_URL) return { mode: "standalone", url: parsed.TRELLIS_REDIS_URL, ...common };
  return undefined;
}

export function cacheTuningFrom(parsed: EnvOf<typeof cacheTuningEnvShape>): CacheTuning {
  return {
    versionsMaxAgeMs: parsed.TRELLIS_CACHE_VERSIONS_MAX_AGE_MS,
    staleMaxSeconds: parsed.TRELLIS_CACHE_STALE_MAX_SECONDS,
    earlyRecomputeBeta: parsed.TRELLIS_CACHE_EARLY_RECOMPUTE_BETA,
  };
}

/** The cache's variables, its config from them and its loadConfig (see serviceConfig). */
export const {
  shape: cacheEnvShape,
  from: cacheConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8083,
  [contextSecretEnvShape, cacheSizeKeys, cacheRedisEnvShape, cacheTuningEnvShape],
  (parsed) =>
    ({
      contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
      l1MaxBytes: parsed.TRELLIS_CACHE_L1_MAX_BYTES,
      maxValueBytes: parsed.TRELLIS_CACHE_MAX_VALUE_BYTES,
      redis: redisConfigFrom(parsed),
      tuning: cacheTuningFrom(parsed),
    }) satisfies Partial<CacheConfig>,
);
