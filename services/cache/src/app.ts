import { CacheService } from "@trellis/contracts";
import {
  createContextSigner,
  type Dependency,
  internalAuth,
  type Logger,
  type OrganizationEpochs,
  type ServiceApp,
} from "@trellis/platform";
import { createL1 } from "./adapters/l1.js";
import { createL2, type L2 } from "./adapters/l2.js";
import { createRedis } from "./adapters/redis.js";
import { createVersionRegistry } from "./adapters/version-registry.js";
import { type CacheConfig, cacheTuningDefaults, type RedisConfig } from "./config.js";
import { versionsTtlMs } from "./data-versions.js";
import { createBreaker } from "./domain/breaker.js";
import { createRecomputeTracker } from "./domain/recompute.js";
import { createCacheService } from "./handlers/cache-service.js";
import { type CacheMetrics, createCacheMetrics } from "./metrics.js";

export const DEFAULT_KEY_PREFIX = "trellis:cache";

async function connectL2(config: RedisConfig, staleMaxSeconds: number, metrics: CacheMetrics, logger: Logger) {
  const redis = createRedis(config, logger);
  const breaker = createBreaker({
    failureThreshold: config.breakerFailures,
    openMs: config.breakerOpenMs,
    onChange(state, previous) {
      if (state === "open") metrics.count("breaker_opened");
      const log = state === "closed" ? logger.info.bind(logger) : logger.warn.bind(logger);
      log({ state, previous }, "redis circuit breaker changed state");
    },
  });
  metrics.watchBreaker(() => breaker.state);
  // A cache that starts while Redis is away serves from memory until it comes back.
  if (!(await redis.ready(config.connectTimeoutMs))) {
    logger.warn({ mode: config.mode }, "redis not reachable at start; serving from memory until it is");
  }
  return createL2({
    redis,
    breaker,
    keyPrefix: config.keyPrefix,
    timeoutMs: config.commandTimeoutMs,
    versionsTtlMs: versionsTtlMs(staleMaxSeconds),
    metrics,
    logger,
  });
}

export interface CacheAppDeps {
  /** Told of every organization whose versions move (shared by every service in one process). */
  epochs?: OrganizationEpochs;
}

export async function createCacheApp(
  config: CacheConfig,
  logger: Logger,
  deps: CacheAppDeps = {},
): Promise<ServiceApp> {
  const tuning = { ...cacheTuningDefaults, ...config.tuning };
  const metrics = createCacheMetrics();
  const l2: L2 | undefined = config.redis
    ? await connectL2(config.redis, tuning.staleMaxSeconds, metrics, logger)
    : undefined;
  const l1 = createL1(config.l1MaxBytes);
  const service = createCacheService({
    l1,
    l2,
    versions: createVersionRegistry({
      sync: l2,
      maxAgeMs: tuning.versionsMaxAgeMs,
      metrics,
      onChange: deps.epochs ? (organizationId) => deps.epochs?.advance(organizationId) : undefined,
    }),
    recompute: createRecomputeTracker(),
    metrics,
    logger,
    keyPrefix: config.redis?.keyPrefix ?? DEFAULT_KEY_PREFIX,
    maxValueBytes: config.maxValueBytes,
    staleMaxSeconds: tuning.staleMaxSeconds,
    earlyRecomputeBeta: tuning.earlyRecomputeBeta,
  });
  const dependencies: Dependency[] = l2
    ? [
        {
          id: "redis",
          // Redis being away makes the cache slower, not unable to answer: it never makes it unready.
          async healthcheck() {},
          close: () => l2.close(),
        },
      ]
    : [];
  return {
    name: "cache",
    services: [CacheService],
    routes: (router) => router.service(CacheService, service),
    dependencies,
    authInterceptors: internalAuth(createContextSigner({ secret: config.contextSecret })),
    async close() {
      l1.clear();
      for (const dependency of [...dependencies].reverse()) await dependency.close();
    },
  };
}
