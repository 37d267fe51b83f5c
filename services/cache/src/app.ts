import { CacheService } from "@trellis/contracts";
import { createContextSigner, internalAuth, type Logger, type ServiceApp } from "@trellis/platform";
import { createL1 } from "./adapters/l1.js";
import type { CacheConfig } from "./config.js";
import { createVersionRegistry } from "./domain/versions.js";
import { createCacheService } from "./handlers/cache-service.js";

export async function createCacheApp(config: CacheConfig, _logger: Logger): Promise<ServiceApp> {
  const service = createCacheService(
    { l1: createL1(config.l1MaxBytes), versions: createVersionRegistry(), maxValueBytes: config.maxValueBytes },
    { l1Hits: 0, l1Misses: 0 },
  );
  return {
    name: "cache",
    services: [CacheService],
    routes: (router) => router.service(CacheService, service),
    dependencies: [],
    authInterceptors: internalAuth(createContextSigner({ secret: config.contextSecret })),
    async close() {},
  };
}
