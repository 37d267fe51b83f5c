import { createClient, type Transport } from "@connectrpc/connect";
import { CacheService, IngestService } from "@trellis/contracts";
import { createContextSigner, internalAuth, type Logger, remotePeer, type ServiceApp } from "@trellis/platform";
import { createStore, ensureSchema, type Store } from "@trellis/store";
import { createBatchWriter } from "./adapters/batch-writer.js";
import { createDataVersionNotifier } from "./adapters/data-versions.js";
import { createWorkerPreparer, inProcessPreparer, preparerUpgradingTo } from "./adapters/preparer.js";
import type { IngestConfig } from "./config.js";
import { createEnricher } from "./enrich/index.js";
import { createIngestService } from "./handlers/ingest-service.js";

export interface IngestAppDeps {
  store?: Store;
  /** Transport to the cache service; a remote one to config.cacheUrl when absent (none when that is unset). */
  cache?: Transport;
}

/** Event capture: validation, enrichment and durable batched writes, acknowledged once written. */
export async function createIngestApp(
  config: IngestConfig,
  logger: Logger,
  deps: IngestAppDeps = {},
): Promise<ServiceApp> {
  const ownsStore = !deps.store;
  const store = deps.store ?? createStore(config.store, { logger });
  if (ownsStore) await ensureSchema(store, logger);
  const enricherOptions = {
    cityDatabasePath: config.geo.cityDatabasePath,
    asnDatabasePath: config.geo.asnDatabasePath,
    ipHashKey: config.ipHashKey,
  };
  const onThisThread = inProcessPreparer(await createEnricher(enricherOptions));
  const preparer =
    config.workers > 0
      ? preparerUpgradingTo(
          onThisThread,
          (signal) => createWorkerPreparer({ workers: config.workers, enricher: enricherOptions, logger, signal }),
          logger,
        )
      : onThisThread;
  const writer = createBatchWriter(store, logger, config.writer);
  const cacheTransport =
    deps.cache ?? (config.cacheUrl ? remotePeer(config.cacheUrl, { caller: "ingest" }) : undefined);
  const versions = createDataVersionNotifier(cacheTransport && createClient(CacheService, cacheTransport), logger);
  const service = createIngestService({ preparer, writer, versions });
  return {
    name: "ingest",
    services: [IngestService],
    routes: (router) => router.service(IngestService, service),
    dependencies: [store],
    authInterceptors: internalAuth(createContextSigner({ secret: config.contextSecret })),
    async close() {
      await writer.close();
      await preparer.close();
      if (ownsStore) await store.close();
    },
  };
}
