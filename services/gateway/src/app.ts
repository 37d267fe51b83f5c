import { createClient, type Transport } from "@connectrpc/connect";
import {
  AnalyticsService,
  CampaignService,
  DiscoveryService,
  IngestService,
  PrivacyService,
  QueryService,
  SessionService,
  WardenService,
} from "@trellis/contracts";
import {
  createContextSigner,
  createDirectServer,
  createOrganizationEpochs,
  type Logger,
  type OrganizationEpochs,
  proxyService,
  type RequestListener,
  remotePeer,
  type ServiceApp,
  serverInterceptors,
} from "@trellis/platform";
import { createAuthenticator } from "./adapters/warden-client.js";
import type { GatewayConfig } from "./config.js";
import { createTokenBuckets } from "./domain/rate-limit.js";
import { createAnalyticsService } from "./handlers/analytics.js";
import { ingestFramesRoutes } from "./handlers/ingest-frames.js";
import { createSessionService } from "./handlers/session.js";
import { publicAuthInterceptor } from "./interceptors.js";
import { createRestHandler } from "./rest/handler.js";
import { createHotAnswers } from "./rest/hot-answers.js";
import { createDirectInvoker } from "./rest/invoke.js";
import { createPublishableEvents } from "./rest/publishable-events.js";
import { restStepInterceptor } from "./rest/rest-call.js";
import { restRoutes } from "./rest/routes.js";
import { createDashboardAssets } from "./web/static.js";
import { createTrackerAsset, TRACKER_PATH } from "./web/tracker.js";

export interface GatewayPeers {
  warden: Transport;
  query: Transport;
  ingest: Transport;
  /** The discovery service; without it the gateway serves no discovery contract or route. */
  discovery?: Transport;
  /** What this process learns of organizations' changes (shared by every service in one process). */
  epochs?: OrganizationEpochs;
}

export type GatewayApp = ServiceApp & { fallback: RequestListener };

function peersFromConfig(config: GatewayConfig): GatewayPeers {
  const need = (url: string | undefined, variable: string) => {
    if (!url) throw new Error(`${variable} is required`);
    return remotePeer(url, { caller: "gateway", defaultTimeoutMs: config.requestTimeoutMs });
  };
  return {
    warden: need(config.peers.warden, "TRELLIS_WARDEN_URL"),
    query: need(config.peers.query, "TRELLIS_QUERY_URL"),
    ingest: need(config.peers.ingest, "TRELLIS_INGEST_URL"),
    discovery: config.peers.discovery ? need(config.peers.discovery, "TRELLIS_DISCOVERY_URL") : undefined,
  };
}

/** The public edge: Connect, gRPC and gRPC-Web on the RPC paths, REST+JSON under /api/v1. */
export async function createGatewayApp(
  config: GatewayConfig,
  logger: Logger,
  peers: GatewayPeers = peersFromConfig(config),
): Promise<GatewayApp> {
  const signer = createContextSigner({ secret: config.contextSecret, ttlSeconds: config.contextTtlSeconds });
  const authenticator = createAuthenticator(createClient(WardenService, peers.warden), signer, {
    maxSeconds: config.authCacheSeconds,
    contextTtlSeconds: config.contextTtlSeconds,
  });
  const analytics = createAnalyticsService(createClient(QueryService, peers.query));
  const ingest = proxyService(IngestService, peers.ingest);
  const campaigns = proxyService(CampaignService, peers.query);
  // Deletions and subject exports are served by ingest, which owns the writes they hold back.
  const privacy = proxyService(PrivacyService, peers.ingest);

  const discovery = peers.discovery ? proxyService(DiscoveryService, peers.discovery) : undefined;

  const app: GatewayApp = {
    name: "gateway",
    services: [
      AnalyticsService,
      IngestService,
      CampaignService,
      PrivacyService,
      SessionService,
      ...(discovery ? [DiscoveryService] : []),
    ],
    routes(router) {
      router.service(AnalyticsService, analytics);
      router.service(IngestService, ingest);
      router.service(CampaignService, campaigns);
      router.service(PrivacyService, privacy);
      router.service(SessionService, createSessionService());
      if (discovery) router.service(DiscoveryService, discovery);
    },
    // Binary ingest calls: events go on unread, to be read on ingest's workers.
    binaryRoutes: ingestFramesRoutes(ingest),
    dependencies: [],
    authInterceptors: [publicAuthInterceptor(authenticator)],
    // Events from web pages with publishable keys are answered before the REST routes, and the
    // dashboard's files at `/` (every GET outside the API's own paths) before the REST 404s.
    fallback: (req, res) => browserEvents(req, res, () => dashboard(req, res) || rest(req, res)),
    async close() {},
  };
  // Browser events with publishable keys have their own authentication (origin, rate) and
  // call ingest directly; every other REST call goes through the interceptors below.
  const invoke = createDirectInvoker(new Map<string, object>([[IngestService.typeName, ingest]]));
  const browserEvents = createPublishableEvents({
    authenticator,
    invoke,
    buckets: createTokenBuckets(config.publishableRate),
    logger,
    timeoutMs: config.requestTimeoutMs,
    clientIpHeader: config.clientIpHeader,
  });
  const tracker = createTrackerAsset(logger);
  const dashboard = createDashboardAssets({
    dir: config.dashboardDir,
    logger,
    servedElsewhere: ["/healthz", TRACKER_PATH],
  });
  // REST is one more way into the same services: the server interceptors of every RPC
  // (tracing, logging, authentication and scope, the organization's scope, error mapping),
  // then the REST step, which reads the body and serves the hot window behind them.
  const rest = createRestHandler({
    routes: restRoutes,
    server: createDirectServer({
      routes: app.routes,
      serverInterceptors: [
        ...serverInterceptors({ service: app.name, logger, auth: app.authInterceptors }),
        restStepInterceptor({
          maxBodyBytes: config.requestMaxBytes,
          hot: createHotAnswers({
            maxAgeMs: config.hotAnswerMs,
            maxBytes: config.hotAnswerMaxBytes,
            epochs: peers.epochs ?? createOrganizationEpochs(),
          }),
        }),
      ],
    }),
    logger,
    timeoutMs: config.requestTimeoutMs,
    other(req, res) {
      if (tracker(req, res)) return true;
      if (req.url === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok\n");
        return true;
      }
      return false;
    },
  });
  return app;
}
