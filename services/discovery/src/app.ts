import { createClient, type Transport } from "@connectrpc/connect";
import { CacheService, CampaignService, DiscoveryService } from "@trellis/contracts";
import {
  createCacheClient,
  createContextSigner,
  internalAuth,
  type Logger,
  remotePeer,
  type ServiceApp,
} from "@trellis/platform";
import { createStore, ensureSchema, type Store } from "@trellis/store";

import { createCampaignClient } from "./adapters/campaign-client.js";
import type { DiscoveryConfig } from "./config.js";
import { createAnswerCache } from "./domain/cached-answer.js";
import { createDiscoveryService } from "./handlers/discovery-service.js";
import { createRunStore } from "./runs/run-store.js";
import { createScheduleStore } from "./schedules/schedule-store.js";
import { createScheduler } from "./schedules/scheduler.js";
import { createWebhookDelivery } from "./webhooks/deliver.js";
import { createWebhookStore } from "./webhooks/webhook-store.js";

export interface DiscoveryAppDeps {
  store?: Store;
  /** Transport to the query service (campaigns); a remote one to config.queryUrl when absent. */
  query?: Transport;
  /** Transport to the cache service; a remote one to config.cacheUrl when absent, none without it. */
  cache?: Transport;
  clock?: () => Date;
}

/** Pattern discovery, anomalies and fraud over the organization's stored traffic; schedules and webhooks. */
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
  const cacheTransport =
    deps.cache ?? (config.cacheUrl ? remotePeer(config.cacheUrl, { caller: "discovery" }) : undefined);
  const clock = deps.clock ?? (() => new Date());
  const signer = createContextSigner({ secret: config.contextSecret });
  const runDeps = {
    store,
    campaigns: createCampaignClient(createClient(CampaignService, queryTransport)),
    runs: createRunStore(store, clock),
    answers: createAnswerCache(
      cacheTransport ? createCacheClient(createClient(CacheService, cacheTransport), logger) : undefined,
      logger,
    ),
    logger,
    clock,
  };
  const schedules = createScheduleStore(store, clock);
  const webhooks = createWebhookStore(store, clock);
  const delivery = createWebhookDelivery(webhooks, config.webhook, logger, clock);
  const scheduler = createScheduler(runDeps, schedules, delivery, signer, config.scheduleTickMs);
  const service = createDiscoveryService({ ...runDeps, schedules, webhooks, webhookPolicy: config.webhook });
  scheduler.start();
  return {
    name: "discovery",
    services: [DiscoveryService],
    routes: (router) => router.service(DiscoveryService, service),
    dependencies: [store],
    authInterceptors: internalAuth(signer),
    async close() {
      await scheduler.close();
      await delivery.close();
      if (ownsStore) await store.close();
    },
  };
}

function requireUrl(url: string | undefined, variable: string): string {
  if (!url) throw new Error(`${variable} is required`);
  return url;
}
