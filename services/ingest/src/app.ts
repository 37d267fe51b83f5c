import { resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import {
  CacheService,
  IngestEventsResponseSchema,
  IngestService,
  type OrgContext,
  PrivacyService,
} from "@trellis/contracts";
import {
  createContextSigner,
  internalAuth,
  type Logger,
  remotePeer,
  type ServiceApp,
  withRepeatedStringsEncoded,
} from "@trellis/platform";
import { createStore, ensureSchema, type Store } from "@trellis/store";
import { createBatchWriter } from "./adapters/batch-writer.js";
import { createDataVersionNotifier } from "./adapters/data-versions.js";
import { createWorkerPreparer, inProcessPreparer, preparerUpgradingTo } from "./adapters/preparer.js";
import type { IngestConfig } from "./config.js";
import { createEnricher } from "./enrich/index.js";
import { createIngestService } from "./handlers/ingest-service.js";
import { createDeletionRunner } from "./privacy/deletion-runner.js";
import { createExports } from "./privacy/exports.js";
import { createOffboarding } from "./privacy/offboarding.js";
import { createPiiKeyring, masterKeyFrom } from "./privacy/pii-keyring.js";
import { createPrivacyRecords } from "./privacy/privacy-records.js";
import { createPrivacyService } from "./privacy/privacy-service.js";
import { createRetention } from "./privacy/retention.js";
import { createSuppressionFilter } from "./privacy/suppressions.js";
import { createWriteGate } from "./privacy/write-gate.js";

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
  const cache = cacheTransport && createClient(CacheService, cacheTransport);
  const versions = createDataVersionNotifier(cache, logger);
  const signer = createContextSigner({ secret: config.contextSecret });
  // Privacy lives beside the writes it must hold back while it deletes (see README).
  const records = createPrivacyRecords(store);
  const scopeFor = async (context: OrgContext) => ({ context, token: await signer.mint(context) });
  const gate = createWriteGate();
  const suppressions = createSuppressionFilter(records);
  const exports = createExports({
    store,
    dir: resolve(config.store.dataDir, "exports"),
    logger: logger.child({ component: "exports" }),
  });
  const deletions = createDeletionRunner({
    store,
    records,
    gate,
    suppressions,
    cache,
    exports,
    scopeFor,
    logger: logger.child({ component: "privacy" }),
  });
  const interrupted = await deletions.failInterrupted();
  if (interrupted > 0)
    logger.warn({ deletions: interrupted }, "deletions interrupted by the last stop were marked failed");
  const keyring = createPiiKeyring(store, config.piiMasterKey ? masterKeyFrom(config.piiMasterKey) : undefined, logger);
  const service = createIngestService({ preparer, writer, versions, gate, suppressions, pii: keyring });
  const offboarding = createOffboarding({
    store,
    gate,
    keyring,
    suppressions,
    exports,
    cache,
    scopeFor,
    logger: logger.child({ component: "privacy" }),
  });
  const retention = createRetention({ store, gate, cache, scopeFor });
  const privacy = createPrivacyService({
    store,
    records,
    runner: deletions,
    keyring,
    exports,
    offboarding,
    retention,
  });
  return {
    name: "ingest",
    services: [IngestService, PrivacyService],
    routes: (router) => {
      router.service(IngestService, service);
      router.service(PrivacyService, privacy);
    },
    // A binary caller (the gateway, in its own process) gets the accepted ids encoded in one
    // piece, as the gateway answers its own binary callers (withRepeatedStringsEncoded).
    binaryRoutes: (router) => {
      router.rpc(IngestService.method.ingestEvents, async (request, context) => {
        const answer = create(IngestEventsResponseSchema, await service.ingestEvents(request, context));
        return withRepeatedStringsEncoded(
          answer,
          IngestEventsResponseSchema.field.acceptedEventIds,
          answer.acceptedEventIds,
        );
      });
    },
    dependencies: [store],
    authInterceptors: internalAuth(signer),
    async close() {
      await deletions.drain();
      await exports.drain();
      await writer.close();
      await preparer.close();
      if (ownsStore) await store.close();
    },
  };
}
