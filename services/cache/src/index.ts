export { createCacheApp } from "./app.js";
export { type CacheConfig, cacheConfigFrom, cacheEnvShape, loadConfig as loadCacheConfig } from "./config.js";
