import { ConfigError, type Env, env, parseEnv, processConfigFrom, processEnvShape } from "@trellis/platform";
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

export interface CacheConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
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

const nonNegativeInt = (fallback: number) =>
  z.coerce
    .number({ error: "expected a whole number" })
    .int("expected a whole number")
    .min(0, "expected zero or more")
    .default(fallback);

const clusterNodes = z
  .string()
  .regex(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, "expected host:port pairs separated by commas")
  .transform((value) =>
    value.split(",").map((pair) => {
      const [host = "", port = ""] = pair.split(":");
      return { host, port: Number(port) };
    }),
  );

/** Variables of the Redis second level; with neither URL nor nodes set the cache is L1 only. */
export const cacheRedisEnvShape = {
  TRELLIS_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, "expected a Redis URL such as redis://127.0.0.1:6379")
    .optional(),
  TRELLIS_REDIS_CLUSTER_NODES: clusterNodes.optional(),
  TRELLIS_REDIS_USERNAME: z.string().optional(),
  TRELLIS_REDIS_PASSWORD: z.string().optional(),
  TRELLIS_REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, "expected 1-64 letters, digits, ':', '_' or '-'")
    .default("trellis:cache"),
  TRELLIS_REDIS_COMMAND_TIMEOUT_MS: env.positiveInt(100),
  TRELLIS_REDIS_CONNECT_TIMEOUT_MS: env.positiveInt(1_000),
  TRELLIS_REDIS_BREAKER_FAILURES: z.coerce
    .number({ error: "expected a whole number from 1 to 20" })
    .int("expected a whole number from 1 to 20")
    .min(1, "expected a whole number from 1 to 20")
    .max(20, "expected a whole number from 1 to 20")
    .default(5),
  TRELLIS_REDIS_BREAKER_OPEN_MS: env.positiveInt(1_000),
};

export const cacheTuningEnvShape = {
  TRELLIS_CACHE_VERSIONS_MAX_AGE_MS: nonNegativeInt(cacheTuningDefaults.versionsMaxAgeMs),
  TRELLIS_CACHE_STALE_MAX_SECONDS: nonNegativeInt(cacheTuningDefaults.staleMaxSeconds),
  TRELLIS_CACHE_EARLY_RECOMPUTE_BETA: z.coerce
    .number({ error: "expected a number from 0 to 10" })
    .min(0, "expected a number from 0 to 10")
    .max(10, "expected a number from 0 to 10")
    .default(cacheTuningDefaults.earlyRecomputeBeta),
};

export const cacheEnvShape = {
  ...processEnvShape(8083),
  TRELLIS_CONTEXT_SECRET: env.secret(),
  TRELLIS_CACHE_L1_MAX_BYTES: env.positiveInt(256 * 1024 * 1024),
  TRELLIS_CACHE_MAX_VALUE_BYTES: env.positiveInt(8 * 1024 * 1024),
  ...cacheRedisEnvShape,
  ...cacheTuningEnvShape,
};

type RedisEnv = z.infer<z.ZodObject<typeof cacheRedisEnvShape>>;
type TuningEnv = z.infer<z.ZodObject<typeof cacheTuningEnvShape>>;

/** The Redis level from its parsed variables; undefined when none is configured. */
export function redisConfigFrom(parsed: RedisEnv): RedisConfig | undefined {
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

export function cacheTuningFrom(parsed: TuningEnv): CacheTuning {
  return {
    versionsMaxAgeMs: parsed.TRELLIS_CACHE_VERSIONS_MAX_AGE_MS,
    staleMaxSeconds: parsed.TRELLIS_CACHE_STALE_MAX_SECONDS,
    earlyRecomputeBeta: parsed.TRELLIS_CACHE_EARLY_RECOMPUTE_BETA,
  };
}

export function cacheConfigFrom(parsed: z.infer<z.ZodObject<typeof cacheEnvShape>>): CacheConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    l1MaxBytes: parsed.TRELLIS_CACHE_L1_MAX_BYTES,
    maxValueBytes: parsed.TRELLIS_CACHE_MAX_VALUE_BYTES,
    redis: redisConfigFrom(parsed),
    tuning: cacheTuningFrom(parsed),
  };
}

export function loadConfig(environment: Env = process.env): CacheConfig {
  return cacheConfigFrom(parseEnv(cacheEnvShape, environment));
}
