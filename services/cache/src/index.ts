export { createCacheApp } from "./app.js";
export {
  type CacheConfig,
  type CacheTuning,
  cacheConfigFrom,
  cacheEnvShape,
  cacheRedisEnvShape,
  cacheTuningDefaults,
  cacheTuningEnvShape,
  cacheTuningFrom,
  loadConfig as loadCacheConfig,
  type RedisConfig,
  redisConfigFrom,
} from "./config.js";
export { advanceDataVersionsInRedis, type ChangedDays } from "./data-versions.js";
