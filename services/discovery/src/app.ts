import { DiscoveryService } from "@trellis/contracts";
import { createContextSigner, internalAuth, type Logger, type ServiceApp } from "@trellis/platform";
import { createStore, ensureSchema, type Store } from "@trellis/store";
import type { DiscoveryConfig } from "./config.js";

export interface DiscoveryAppDeps {
  store?: Store;
}

/**
 * Pattern discovery over the organization's stored traffic. The contract is served from
 * the start; methods this version does not implement answer UNIMPLEMENTED.
 */
export async function createDiscoveryApp(
  config: DiscoveryConfig,
  logger: Logger,
  deps: DiscoveryAppDeps = {},
): Promise<ServiceApp> {
  const ownsStore = !deps.store;
  const store = deps.store ?? createStore(config.store, { logger });
  if (ownsStore) await ensureSchema(store, logger);
  return {
    name: "discovery",
    services: [DiscoveryService],
    routes: (router) => router.service(DiscoveryService, {}),
    dependencies: [store],
    authInterceptors: internalAuth(createContextSigner({ secret: config.contextSecret })),
    async close() {
      if (ownsStore) await store.close();
    },
  };
}
