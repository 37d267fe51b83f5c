import {
  type ConnectionTimeouts,
  connectionTimeoutsEnvShape,
  connectionTimeoutsFrom,
  type Env,
  env,
  parseEnv,
  processConfigFrom,
  processEnvShape,
} from "@trellis/platform";
import type { z } from "zod";

export interface GatewayConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
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
  peers: { warden?: string; query?: string; ingest?: string; discovery?: string };
}

export const gatewayEnvShape = {
  ...processEnvShape(8080),
  TRELLIS_CONTEXT_SECRET: env.secret(),
  TRELLIS_CONTEXT_TTL_SECONDS: env.positiveInt(60),
  TRELLIS_AUTH_CACHE_SECONDS: env.positiveInt(30),
  TRELLIS_REQUEST_MAX_BYTES: env.positiveInt(16 * 1024 * 1024),
  TRELLIS_REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
  ...connectionTimeoutsEnvShape,
  TRELLIS_GATEWAY_HOT_ANSWER_MS: env.wholeNumber(250),
  TRELLIS_GATEWAY_HOT_ANSWER_BYTES: env.wholeNumber(32 * 1024 * 1024),
  TRELLIS_WARDEN_URL: env.url(),
  TRELLIS_QUERY_URL: env.url(),
  TRELLIS_INGEST_URL: env.url(),
  TRELLIS_DISCOVERY_URL: env.url().optional(),
};

export function gatewayConfigFrom(parsed: z.infer<z.ZodObject<typeof gatewayEnvShape>>): GatewayConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    contextTtlSeconds: parsed.TRELLIS_CONTEXT_TTL_SECONDS,
    authCacheSeconds: parsed.TRELLIS_AUTH_CACHE_SECONDS,
    requestMaxBytes: parsed.TRELLIS_REQUEST_MAX_BYTES,
    requestTimeoutMs: parsed.TRELLIS_REQUEST_TIMEOUT_MS,
    connectionTimeouts: connectionTimeoutsFrom(parsed),
    hotAnswerMs: parsed.TRELLIS_GATEWAY_HOT_ANSWER_MS,
    hotAnswerMaxBytes: parsed.TRELLIS_GATEWAY_HOT_ANSWER_BYTES,
    peers: {
      warden: parsed.TRELLIS_WARDEN_URL,
      query: parsed.TRELLIS_QUERY_URL,
      ingest: parsed.TRELLIS_INGEST_URL,
      discovery: parsed.TRELLIS_DISCOVERY_URL,
    },
  };
}

export function loadConfig(environment: Env = process.env): GatewayConfig {
  return gatewayConfigFrom(parseEnv(gatewayEnvShape, environment));
}
