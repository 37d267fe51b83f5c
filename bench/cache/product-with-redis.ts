// The embedded product (`trellis start`) with the cache's Redis level configured from the
// TRELLIS_REDIS_* variables. Until the all-in-one config reads those variables itself, this
// is how the benchmark measures L2 hits through the same gateway; the services and their
// wiring are the embedded default's.
import { cacheRedisEnvShape, redisConfigFrom } from "@trellis/cache";
import { ensureDemoOrganization, loadEmbeddedConfig, startEmbedded } from "@trellis/cli";
import { createLogger, onTermination, parseEnv } from "@trellis/platform";

const config = loadEmbeddedConfig(process.env);
config.cache.redis ??= redisConfigFrom(parseEnv(cacheRedisEnvShape, process.env));
const logger = createLogger({ service: "trellis", level: config.process.logLevel });
const embedded = await startEmbedded(config, logger);
if (config.demo) await ensureDemoOrganization(embedded.store);
logger.info({ url: embedded.url, redis: config.cache.redis?.mode ?? "none" }, "trellis warehouse listening");
onTermination(logger, config.process.shutdownGraceMs, () => embedded.close());
