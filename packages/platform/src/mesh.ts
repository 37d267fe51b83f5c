import type { DescService } from "@bufbuild/protobuf";
import { type ConnectRouter, createConnectRouter, type Interceptor, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@trellis/contracts";
import { createDirectTransport } from "./direct-transport.js";
import { createHealthService, type Dependency, type HealthState } from "./health.js";
import { contextAuthInterceptor, forwardContextInterceptor } from "./interceptors/context-auth.js";
import { errorMappingInterceptor } from "./interceptors/errors.js";
import { loggingInterceptor } from "./interceptors/logging.js";
import { clientTracingInterceptor, serverTracingInterceptor } from "./interceptors/tracing.js";
import type { Logger } from "./logger.js";
import type { ContextSigner } from "./org-context.js";
import { refuseUndecodableBodies, requestDecodingInterceptor, strictJsonOptions } from "./request-decoding.js";
import { type ConnectionTimeouts, type RequestListener, type RunningServer, startServer } from "./server.js";

/** What a service's composition root returns: its routes and the resources it owns. */
export interface ServiceApp {
  /** Short name: "gateway", "query", "cache", "discovery", "ingest", "warden". */
  readonly name: string;
  readonly services: readonly DescService[];
  routes(router: ConnectRouter): void;
  /**
   * Methods of `routes` whose binary requests (protobuf over gRPC, gRPC-Web or Connect) are
   * read with another, wire-compatible request message: registered here on the same paths,
   * they answer those requests, and `routes` answers the JSON ones.
   */
  binaryRoutes?(router: ConnectRouter): void;
  readonly dependencies: readonly Dependency[];
  /** Interceptors that authenticate callers; internal services use the context token. */
  readonly authInterceptors: readonly Interceptor[];
  close(): Promise<void>;
}

export interface InterceptorOptions {
  service: string;
  logger: Logger;
  auth: readonly Interceptor[];
}

/** Server interceptors, outermost first: request decoding, tracing, logging, auth, error mapping. */
export function serverInterceptors(options: InterceptorOptions): Interceptor[] {
  return [
    requestDecodingInterceptor(),
    serverTracingInterceptor(options.service),
    loggingInterceptor(options.logger),
    ...options.auth,
    errorMappingInterceptor(),
  ];
}

/** Auth for internal services: a valid signed org context token on every call. */
export function internalAuth(signer: ContextSigner): Interceptor[] {
  return [contextAuthInterceptor(signer)];
}

/** Client interceptors for calls to a peer: tracing, then the forwarded context token. */
export function clientInterceptors(caller: string): Interceptor[] {
  return [clientTracingInterceptor(caller), forwardContextInterceptor()];
}

export interface PeerOptions {
  caller: string;
  /** Deadline applied to calls that have none, in milliseconds. */
  defaultTimeoutMs?: number;
}

/** A peer in another process, over HTTP/2 (speaks gRPC, so any gRPC server would do). */
export function remotePeer(baseUrl: string, options: PeerOptions): Transport {
  return createGrpcTransport({
    baseUrl,
    interceptors: clientInterceptors(options.caller),
    defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000,
    pingIntervalMs: 30_000,
    // Below the servers' idle timeout (TRELLIS_HTTP_IDLE_TIMEOUT_MS, 65 s by default): the
    // client lets an idle session go before the server does, so no call races its close.
    idleConnectionTimeoutMs: 30_000,
  });
}

/**
 * A peer in this process: the same routes and server interceptors as when it runs on its
 * own, reached without a socket or encoding, unary and streaming calls alike (see
 * createDirectTransport).
 */
export function inProcessPeer(app: ServiceApp, logger: Logger, options: PeerOptions): Transport {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const server = serverInterceptors({ service: app.name, logger, auth: app.authInterceptors });
  const client = clientInterceptors(options.caller);
  return createDirectTransport({
    routes: app.routes,
    clientInterceptors: client,
    serverInterceptors: server,
    defaultTimeoutMs,
  });
}

/**
 * The largest message a service takes when not told otherwise: the gateway's default body
 * limit (TRELLIS_REQUEST_MAX_BYTES, 16 MiB) plus room for the RPC message that carries such a
 * body on to a peer — a REST batch travels to ingest as `IngestEventsRequest.encoded`, its
 * bytes beside their content type and batch-id field, so a body at the public limit must not
 * be refused one hop later.
 */
export const DEFAULT_READ_MAX_BYTES = 16 * 1024 * 1024 + 64 * 1024;

export interface ServeOptions {
  host: string;
  port: number;
  logger: Logger;
  health: HealthState;
  shutdownSignal: AbortSignal;
  /** Largest request body accepted by the RPC layer, in bytes. */
  readMaxBytes?: number;
  /** Requests no RPC route matches (REST, static pages). */
  fallback?: RequestListener;
  /** Accept HTTP/1.1 besides HTTP/2 (the public gateway). */
  http1?: boolean;
  /** Slow and idle client limits; the defaults of startServer where absent. */
  timeouts?: Partial<ConnectionTimeouts>;
}

/** The media types of binary RPC requests: gRPC, gRPC-Web and Connect with protobuf. */
const BINARY_RPC_TYPES = new Set([
  "application/grpc",
  "application/grpc+proto",
  "application/grpc-web",
  "application/grpc-web+proto",
  "application/proto",
  "application/connect+proto",
]);

function isBinaryRpc(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semicolon = contentType.indexOf(";");
  return BINARY_RPC_TYPES.has((semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase());
}

/**
 * The app's {@link ServiceApp.binaryRoutes} in front of `handler`: a binary request to one of
 * their paths goes to them, everything else to `handler`.
 */
function withBinaryRoutes(
  app: ServiceApp,
  handler: RequestListener,
  adapter: (routes: (router: ConnectRouter) => void) => RequestListener,
): RequestListener {
  const binaryRoutes = app.binaryRoutes?.bind(app);
  if (!binaryRoutes) return handler;
  const collected = createConnectRouter();
  binaryRoutes(collected);
  const paths = new Set(collected.handlers.map((h) => h.requestPath));
  const binary = adapter(binaryRoutes);
  return (req, res) =>
    paths.has(req.url ?? "") && isBinaryRpc(req.headers["content-type"]) ? binary(req, res) : handler(req, res);
}

/** Serves a service app (plus grpc.health.v1.Health) on one port. */
export async function serveApp(app: ServiceApp, options: ServeOptions): Promise<RunningServer> {
  const common = {
    jsonOptions: strictJsonOptions,
    interceptors: serverInterceptors({ service: app.name, logger: options.logger, auth: app.authInterceptors }),
    shutdownSignal: options.shutdownSignal,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
  };
  const handler = connectNodeAdapter({
    routes(router) {
      app.routes(router);
      router.service(
        Health,
        createHealthService(
          app.services.map((s) => s.typeName),
          () => [...app.dependencies],
          options.health,
        ),
      );
      refuseUndecodableBodies(router);
    },
    ...common,
    fallback: options.fallback as Parameters<typeof connectNodeAdapter>[0]["fallback"],
  });
  const listener = withBinaryRoutes(
    app,
    handler as RequestListener,
    (routes) =>
      connectNodeAdapter({
        routes(router) {
          routes(router);
          refuseUndecodableBodies(router);
        },
        ...common,
      }) as RequestListener,
  );
  return startServer({
    host: options.host,
    port: options.port,
    listener,
    http1: options.http1 ?? options.fallback !== undefined,
    timeouts: options.timeouts,
  });
}
