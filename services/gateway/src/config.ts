import { fileURLToPath } from "node:url";
import {
  authCacheEnvShape,
  type ConnectionTimeouts,
  configGroup,
  connectionTimeoutsEnvShape,
  connectionTimeoutsFrom,
  contextSecretEnvShape,
  env,
  key,
  type ProcessConfig,
  peersEnvShape,
  serviceConfig,
} from "@trellis/platform";
import { z } from "zod";

/** Where `npm run build -w apps/web` writes the dashboard in this repository. */
const repositoryDashboardDir = fileURLToPath(new URL("../../../apps/web/dist", import.meta.url));

export interface GatewayConfig extends ProcessConfig {
  contextSecret: string;
  /** Lifetime of the context tokens minted for internal calls, in seconds. */
  contextTtlSeconds: number;
  /** Upper bound on how long an authentication answer is reused, in seconds. */
  authCacheSeconds: number;
  requestMaxBytes: number;
  requestTimeoutMs: number;
  /** How long a client may take to send a request (head, body) and leave a connection idle. */
  connectionTimeouts: ConnectionTimeouts;
  /** How long a rendered answer is served again without the query service (0: never). */
  hotAnswerMs: number;
  hotAnswerMaxBytes: number;
  /** Each publishable key's token bucket: refilled at `perSecond` requests a second, holding at most `burst`. */
  publishableRate: { perSecond: number; burst: number };
  /** The request header holding the browser's address when a proxy stands in front (unset: the socket's peer). */
  clientIpHeader?: string;
  peers: { warden?: string; query?: string; ingest?: string; discovery?: string };
  /** Folder of the built dashboard served at `/`. */
  dashboardDir: string;
}

/** The gateway's own variables. */
export const gatewayKeys = configGroup("Gateway", {
  TRELLIS_REQUEST_MAX_BYTES: key(
    env.positiveInt(16 * 1024 * 1024),
    "bytes",
    "largest REST body after decompression (413 beyond it); all in one, also the largest RPC message",
  ),
  TRELLIS_REQUEST_TIMEOUT_MS: key(
    env.positiveInt(30_000),
    "ms",
    "deadline of a REST call (downloads get ten times it) and default deadline of the gateway's peer calls",
  ),
  TRELLIS_GATEWAY_HOT_ANSWER_MS: key(
    env.wholeNumber(250),
    "ms",
    "how long a rendered REST answer is served again without the query service; `0` turns it off",
  ),
  TRELLIS_GATEWAY_HOT_ANSWER_BYTES: key(
    env.wholeNumber(32 * 1024 * 1024),
    "bytes",
    "bytes of rendered answers kept for the hot window; `0` turns it off",
  ),
  TRELLIS_DASHBOARD_DIR: key(
    z.string().min(1, "expected a folder").default(repositoryDashboardDir),
    "path",
    "folder of the built dashboard the gateway serves at `/`",
    "the repository's `apps/web/dist`",
  ),
});

/** Events sent by browsers with publishable keys (POST /api/v1/events?key=…, the tracker). */
export const browserIngestKeys = configGroup("Browser ingest", {
  TRELLIS_PUBLISHABLE_KEY_RATE: key(
    env.positiveInt(20),
    "requests/s",
    "requests a second each publishable key may send to /api/v1/events, per gateway process (429 beyond it)",
  ),
  TRELLIS_PUBLISHABLE_KEY_BURST: key(
    env.positiveInt(100),
    "requests",
    "requests a publishable key may send at once before its rate applies",
  ),
  TRELLIS_CLIENT_IP_HEADER: key(
    z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, "expected a header name such as x-forwarded-for")
      .transform((name) => name.toLowerCase())
      .optional(),
    "header",
    "header a proxy in front of the gateway sets to the browser's address (first entry used) for events of publishable keys; unset: the connection's peer address",
  ),
});

/** The context tokens' lifetime: the gateway mints them. */
export const contextTtlKeys = configGroup("Context tokens", {
  TRELLIS_CONTEXT_TTL_SECONDS: key(env.positiveInt(60), "seconds", "lifetime of a context token the gateway mints"),
});

/**
 * The gateway's variables, its config from them (no peer URLs in the all-in-one process) and
 * its loadConfig (see serviceConfig).
 */
export const {
  shape: gatewayEnvShape,
  from: gatewayConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8080,
  [
    contextSecretEnvShape,
    contextTtlKeys,
    authCacheEnvShape,
    gatewayKeys,
    browserIngestKeys,
    connectionTimeoutsEnvShape,
    {
      TRELLIS_WARDEN_URL: peersEnvShape.TRELLIS_WARDEN_URL,
      TRELLIS_QUERY_URL: peersEnvShape.TRELLIS_QUERY_URL,
      TRELLIS_INGEST_URL: peersEnvShape.TRELLIS_INGEST_URL,
      TRELLIS_DISCOVERY_URL: peersEnvShape.TRELLIS_DISCOVERY_URL.optional(),
    },
  ],
  (parsed) =>
    ({
      contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
      contextTtlSeconds: parsed.TRELLIS_CONTEXT_TTL_SECONDS,
      authCacheSeconds: parsed.TRELLIS_AUTH_CACHE_SECONDS,
      requestMaxBytes: parsed.TRELLIS_REQUEST_MAX_BYTES,
      requestTimeoutMs: parsed.TRELLIS_REQUEST_TIMEOUT_MS,
      connectionTimeouts: connectionTimeoutsFrom(parsed),
      hotAnswerMs: parsed.TRELLIS_GATEWAY_HOT_ANSWER_MS,
      hotAnswerMaxBytes: parsed.TRELLIS_GATEWAY_HOT_ANSWER_BYTES,
      publishableRate: { perSecond: parsed.TRELLIS_PUBLISHABLE_KEY_RATE, burst: parsed.TRELLIS_PUBLISHABLE_KEY_BURST },
      clientIpHeader: parsed.TRELLIS_CLIENT_IP_HEADER,
      dashboardDir: parsed.TRELLIS_DASHBOARD_DIR,
      peers: {
        warden: parsed.TRELLIS_WARDEN_URL,
        query: parsed.TRELLIS_QUERY_URL,
        ingest: parsed.TRELLIS_INGEST_URL,
        discovery: parsed.TRELLIS_DISCOVERY_URL,
      },
    }) satisfies Partial<GatewayConfig>,
);
