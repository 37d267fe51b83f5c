import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createCacheApp } from "@trellis/cache";
import { CacheService, OrgContextSchema } from "@trellis/contracts";
import { createDiscoveryApp } from "@trellis/discovery";
import { createGatewayApp } from "@trellis/gateway";
import { createIngestApp } from "@trellis/ingest";
import {
  createContextSigner,
  createOrganizationEpochs,
  type HealthState,
  inProcessPeer,
  type Logger,
  ORG_CONTEXT_HEADER,
  type RunningServer,
  type ServiceApp,
  serveApp,
  startMetricsEndpoint,
} from "@trellis/platform";
import { createQueryApp } from "@trellis/query";
import { createStore, type Store } from "@trellis/store";
import { createWardenApp } from "@trellis/warden";
import { withWardenAdmin } from "./admin-port.js";
import type { EmbeddedConfig } from "./config.js";
import { createProcessExport, withExportAdmin } from "./export-admin.js";

export interface Embedded {
  /** Makes cached answers of an organization unreachable after data arrived outside ingest. */
  advanceDataVersion(organizationId: string): Promise<void>;
  server: RunningServer;
  store: Store;
  url: string;
  health: HealthState;
  /** Stops accepting, drains in-flight requests, then closes every service and the store. */
  close(graceMs?: number): Promise<void>;
}

/**
 * All six services in one process: the same apps as in separate deployments, wired through
 * in-process Connect transports, one store, and the gateway's port as the only socket.
 */
export async function startEmbedded(config: EmbeddedConfig, logger: Logger): Promise<Embedded> {
  const store = createStore(config.store, { logger: logger.child({ component: "store" }) });
  const applied = await store.migrate();
  if (applied.length > 0) logger.info({ versions: applied }, "schema migrated");

  // The process's logger already names the service ("trellis"); each one inside is a component.
  const log = (component: string) => logger.child({ component });
  const peer = (app: ServiceApp, caller: string) =>
    inProcessPeer(app, log(app.name), { caller, defaultTimeoutMs: config.gateway.requestTimeoutMs });

  // What any service here learns of an organization's changes, every other one knows at once.
  const epochs = createOrganizationEpochs();
  const warden = await createWardenApp(config.warden, log("warden"), { store });
  const cache = await createCacheApp(config.cache, log("cache"), { epochs });
  const query = await createQueryApp(config.query, log("query"), { store, cache: peer(cache, "query"), epochs });
  const ingest = await createIngestApp(config.ingest, log("ingest"), { store, cache: peer(cache, "ingest") });
  const discovery = await createDiscoveryApp(config.discovery, log("discovery"), {
    store,
    query: peer(query, "discovery"),
    cache: peer(cache, "discovery"),
  });
  const gateway = await createGatewayApp(config.gateway, log("gateway"), {
    warden: peer(warden, "gateway"),
    query: peer(query, "gateway"),
    ingest: peer(ingest, "gateway"),
    discovery: peer(discovery, "gateway"),
    epochs,
  });
  const exportApp = createProcessExport(config, store, log("export"));
  const apps = [warden, cache, query, ingest, discovery, gateway, exportApp];

  const health: HealthState = { draining: false };
  const shutdown = new AbortController();
  // With an admin token, organizations and keys can be managed while the product runs.
  const served = withExportAdmin(config.warden.adminToken ? withWardenAdmin(gateway, warden) : gateway, exportApp);
  const server = await serveApp(served, {
    host: config.process.host,
    port: config.process.port,
    logger: log("gateway"),
    health,
    shutdownSignal: shutdown.signal,
    readMaxBytes: config.gateway.requestMaxBytes,
    fallback: (req, res) => {
      if (!exportApp.rest(req, res)) gateway.fallback(req, res);
    },
    timeouts: config.gateway.connectionTimeouts,
  });

  // The same requests-in-flight endpoint a separately run service serves (TRELLIS_METRICS_PORT).
  const metrics = config.process.metricsPort
    ? await startMetricsEndpoint({
        host: config.process.host,
        port: config.process.metricsPort,
        service: "trellis",
        inFlight: () => server.inFlight(),
      })
    : undefined;

  const signer = createContextSigner({ secret: config.gateway.contextSecret });
  const cacheClient = createClient(CacheService, peer(cache, "trellis"));
  return {
    async advanceDataVersion(organizationId) {
      const token = await signer.mint(create(OrgContextSchema, { organizationId, principal: "system:seed" }));
      await cacheClient.advanceDataVersion({}, { headers: { [ORG_CONTEXT_HEADER]: token } });
    },
    server,
    store,
    url: server.url,
    health,
    async close(graceMs = config.process.shutdownGraceMs) {
      health.draining = true;
      shutdown.abort();
      await server.close(graceMs);
      await metrics?.close();
      for (const app of apps.reverse()) await app.close();
      await store.close();
    },
  };
}
