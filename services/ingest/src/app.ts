import { IngestService } from "@trellis/contracts";
import { createContextSigner, internalAuth, type Logger, type ServiceApp } from "@trellis/platform";
import { createStore, type Store } from "@trellis/store";
import type { IngestConfig } from "./config.js";

export interface IngestAppDeps {
  store?: Store;
}

/**
 * Pattern ingest over the organization's stored traffic. The contract is served from
 * the start; methods this version does not implement answer UNIMPLEMENTED.
 */
export async function createIngestApp(
  config: IngestConfig,
  logger: Logger,
  deps: IngestAppDeps = {},
): Promise<ServiceApp> {
  const ownsStore = !deps.store;
  const store = deps.store ?? createStore(config.store, { logger });
  if (ownsStore) await store.migrate();
  return {
    name: "ingest",
    services: [IngestService],
    routes: (router) => router.service(IngestService, {}),
    dependencies: [store],
    authInterceptors: internalAuth(createContextSigner({ secret: config.contextSecret })),
    async close() {
      if (ownsStore) await store.close();
    },
  };
}
