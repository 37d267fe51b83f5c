import { createClient, type Transport } from "@connectrpc/connect";
import { AnalyticsService, CampaignService, IngestService, QueryService, WardenService } from "@trellis/contracts";
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
import { createAnalyticsService } from "./handlers/analytics.js";
import { publicAuthInterceptor } from "./interceptors.js";
import { createRestHandler } from "./rest/handler.js";
import { createHotAnswers } from "./rest/hot-answers.js";
import { restStepInterceptor } from "./rest/rest-call.js";
import { restRoutes } from "./rest/routes.js";

export interface GatewayPeers {
  warden: Transport;
  query: Transport;
  ingest: Transport;
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

  const app: GatewayApp = {
    name: "gateway",
    services: [AnalyticsService, IngestService, CampaignService],
    routes(router) {
      router.service(AnalyticsService, analytics);
      router.service(IngestService, ingest);
      router.service(CampaignService, campaigns);
    },
    dependencies: [],
    authInterceptors: [publicAuthInterceptor(authenticator)],
    fallback: (req, res) => rest(req, res),
    async close() {},
  };
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
