import { WardenService } from "@trellis/contracts";
import type { Logger, ServiceApp } from "@trellis/platform";
import { createStore, ensureSchema, type Store } from "@trellis/store";
import { createWardenRepository } from "./adapters/clickhouse.js";
import type { WardenConfig } from "./config.js";
import { createAccounts } from "./domain/accounts.js";
import { createAuthenticator } from "./domain/authenticator.js";
import { createWardenService } from "./handlers/warden-service.js";
import { adminAuthInterceptor } from "./interceptors.js";

export interface WardenAppDeps {
  /** A store shared with other services of this process; one is opened when absent. */
  store?: Store;
}

export async function createWardenApp(
  config: WardenConfig,
  logger: Logger,
  deps: WardenAppDeps = {},
): Promise<ServiceApp> {
  const ownsStore = !deps.store;
  const store = deps.store ?? createStore(config.store, { logger });
  if (ownsStore) await ensureSchema(store, logger);
  const repository = createWardenRepository(store);
  const service = createWardenService({
    authenticator: createAuthenticator({ repository, jwt: config.jwt }),
    accounts: createAccounts({ repository }),
    repository,
    authCacheSeconds: config.authCacheSeconds,
  });
  return {
    name: "warden",
    services: [WardenService],
    routes: (router) => router.service(WardenService, service),
    dependencies: [store],
    authInterceptors: [adminAuthInterceptor(config.adminToken)],
    async close() {
      if (ownsStore) await store.close();
    },
  };
}
