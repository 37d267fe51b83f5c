import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { type CallOptions, type Client, createClient } from "@connectrpc/connect";
import { CacheService, OrgContextSchema, Scope } from "@trellis/contracts";
import {
  createContextSigner,
  createLogger,
  inProcessPeer,
  internalAuth,
  type Logger,
  ORG_CONTEXT_HEADER,
  type ServiceApp,
} from "@trellis/platform";
import { type CacheConfig, type CacheTuning, createCacheApp, type RedisConfig } from "../../src/index.js";

export const CONTEXT_SECRET = "cache-test-secret-".padEnd(40, "x");
const signer = createContextSigner({ secret: CONTEXT_SECRET, ttlSeconds: 900 });
const tokens = new Map<string, Promise<string>>();

/** Call options carrying a signed context token for `organizationId`. */
export async function asOrganization(organizationId: string): Promise<CallOptions> {
  let token = tokens.get(organizationId);
  if (!token) {
    token = signer.mint(
      create(OrgContextSchema, {
        organizationId,
        principal: `test:${organizationId}`,
        scopes: [Scope.ANALYTICS_READ],
      }),
    );
    tokens.set(organizationId, token);
  }
  return { headers: { [ORG_CONTEXT_HEADER]: await token } };
}

/** A key prefix no other test uses, so nothing is ever flushed globally. */
export function testKeyPrefix(): string {
  return `test:cache:${randomBytes(4).toString("hex")}`;
}

export function redisConfig(
  target: { url: string } | { nodes: Array<{ host: string; port: number }> },
  overrides: Partial<RedisConfig> = {},
): RedisConfig {
  return {
    ...("url" in target
      ? { mode: "standalone" as const, url: target.url }
      : { mode: "cluster" as const, nodes: target.nodes }),
    keyPrefix: testKeyPrefix(),
    commandTimeoutMs: 100,
    connectTimeoutMs: 1_000,
    breakerFailures: 5,
    breakerOpenMs: 500,
    ...overrides,
  };
}

export interface CacheHarness {
  app: ServiceApp;
  client: Client<typeof CacheService>;
  close(): Promise<void>;
}

export const silentLogger: Logger = createLogger({ service: "cache-test", level: "silent" });

/** A cache app called the way peers call it: in process, through the server interceptors. */
export async function startCache(
  options: { redis?: RedisConfig; tuning?: Partial<CacheTuning>; l1MaxBytes?: number; logger?: Logger } = {},
): Promise<CacheHarness> {
  const config: CacheConfig = {
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    shutdownGraceMs: 1_000,
    contextSecret: CONTEXT_SECRET,
    l1MaxBytes: options.l1MaxBytes ?? 64 * 1024 * 1024,
    maxValueBytes: 1024 * 1024,
    redis: options.redis,
    tuning: options.tuning,
  };
  const logger = options.logger ?? silentLogger;
  const app = await createCacheApp(config, logger);
  const client = createClient(CacheService, inProcessPeer(app, logger, { caller: "test" }));
  return { app, client, close: () => app.close() };
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (value: Uint8Array): string => new TextDecoder().decode(value);

/** A bare service implementation wrapped as an app, for handler tests with injected deps. */
export function serviceApp(routes: ServiceApp["routes"]): ServiceApp {
  return {
    name: "cache",
    services: [CacheService],
    routes,
    dependencies: [],
    authInterceptors: internalAuth(createContextSigner({ secret: CONTEXT_SECRET })),
    async close() {},
  };
}
