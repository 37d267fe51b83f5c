import { createClient, type Transport } from "@connectrpc/connect";
import { CacheService, CampaignService, QueryService } from "@trellis/contracts";
import {
  createCacheClient,
  createContextSigner,
  internalAuth,
  type Logger,
  type OrganizationEpochs,
  remotePeer,
  type ServiceApp,
} from "@trellis/platform";
import { createStore, ensureSchema, type Store } from "@trellis/store";
import { createBigQueryReadPath } from "./adapters/bigquery-read-path.js";

import { createRulesetStore } from "./adapters/ruleset-store.js";
import type { QueryConfig } from "./config.js";
import { createCampaignService } from "./handlers/campaign-service.js";
import { createQueryService } from "./handlers/query-service.js";
import { createRulesetProvider } from "./handlers/rulesets.js";

export interface QueryAppDeps {
  store?: Store;
  /** Transport to the cache service; a remote one to config.cacheUrl when absent. */
  cache?: Transport;
  /** Told of every organization whose campaign ruleset moves (shared by every service in one process). */
  epochs?: OrganizationEpochs;
}

export async function createQueryApp(
  config: QueryConfig,
  logger: Logger,
  deps: QueryAppDeps = {},
): Promise<ServiceApp> {
  const ownsStore = !deps.store;
  const store = deps.store ?? createStore(config.store, { logger });
  if (ownsStore) await ensureSchema(store, logger);
  const cacheTransport =
    deps.cache ?? remotePeer(requireUrl(config.cacheUrl, "TRELLIS_CACHE_URL"), { caller: "query" });
  const cache = createCacheClient(createClient(CacheService, cacheTransport), logger);
  const rulesetStore = createRulesetStore(store, { logger });
  const rulesets = createRulesetProvider(rulesetStore, {
    onNewVersion: deps.epochs ? (organizationId) => deps.epochs?.advance(organizationId) : undefined,
  });
  const bigquery = createBigQueryReadPath(config.bigquery, logger.child({ component: "bigquery" }));
  const service = createQueryService({ store, cache, rulesets, logger, bigquery });
  const campaigns = createCampaignService({
    store,
    rulesetStore,
    rulesets,
    onRulesetChanged: (org, version, signal) => cache.advanceRulesetVersion(org, version, signal),
    logger,
  });
  return {
    name: "query",
    services: [QueryService, CampaignService],
    routes: (router) => {
      router.service(QueryService, service);
      router.service(CampaignService, campaigns);
    },
    dependencies: [store],
    authInterceptors: internalAuth(createContextSigner({ secret: config.contextSecret })),
    async close() {
      if (ownsStore) await store.close();
    },
  };
}

function requireUrl(url: string | undefined, variable: string): string {
  if (!url) throw new Error(`${variable} is required`);
  return url;
}
