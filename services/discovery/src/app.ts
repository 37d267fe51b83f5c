import { createClient, type Transport } from "@connectrpc/connect";
import { CampaignService, DiscoveryService } from "@trellis/contracts";
import { createContextSigner, internalAuth, type Logger, remotePeer, type ServiceApp } from "@trellis/platform";
import { createStore, ensureSchema, type Store } from "@trellis/store";
import { createCampaignClient } from "./adapters/campaign-client.js";
import type { DiscoveryConfig } from "./config.js";
import { createDiscoveryService } from "./handlers/discovery-service.js";
import { createRunStore } from "./runs/run-store.js";

export interface DiscoveryAppDeps {
  store?: Store;
  /** Transport to the query service (campaigns); a remote one to config.queryUrl when absent. */
  query?: Transport;
  clock?: () => Date;
}

/** Pattern discovery, anomalies and fraud over the organization's stored traffic. */
export async function createDiscoveryApp(
  config: DiscoveryConfig,
  logger: Logger,
  deps: DiscoveryAppDeps = {},
): Promise<ServiceApp> {
  const ownsStore = !deps.store;
  const store = deps.store ?? createStore(config.store, { logger });
  if (ownsStore) await ensureSchema(store, logger);
  const queryTransport =
    deps.query ?? remotePeer(requireUrl(config.queryUrl, "TRELLIS_QUERY_URL"), { caller: "discovery" });
  const clock = deps.clock ?? (() => new Date());
  const service = createDiscoveryService({
    store,
    campaigns: createCampaignClient(createClient(CampaignService, queryTransport)),
    runs: createRunStore(store, clock),
    logger,
    clock,
  });
  return {
    name: "discovery",
    services: [DiscoveryService],
    routes: (router) => router.service(DiscoveryService, service),
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
