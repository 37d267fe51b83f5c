import { ConfigError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { loadCacheConfig } from "../../src/index.js";

const secret = { TRELLIS_CONTEXT_SECRET: "s".repeat(40) };

describe("cache config", () => {
  it("is in-process only without Redis variables, with documented defaults", () => {
    const config = loadCacheConfig(secret);
    expect(config.redis).toBeUndefined();
    expect(config.tuning).toEqual({ versionsMaxAgeMs: 500, staleMaxSeconds: 60, earlyRecomputeBeta: 1 });
  });

  it("reads a standalone server or cluster nodes and the resilience settings", () => {
    expect(loadCacheConfig({ ...secret, TRELLIS_REDIS_URL: "redis://10.0.0.1:6380" }).redis).toEqual({
      mode: "standalone",
      url: "redis://10.0.0.1:6380",
      keyPrefix: "trellis:cache",
      commandTimeoutMs: 100,
      connectTimeoutMs: 1_000,
      breakerFailures: 5,
      breakerOpenMs: 1_000,
      username: undefined,
      password: undefined,
    });
    const cluster = loadCacheConfig({
      ...secret,
      TRELLIS_REDIS_CLUSTER_NODES: "redis-0:6379,redis-1:6379",
      TRELLIS_REDIS_COMMAND_TIMEOUT_MS: "50",
      TRELLIS_REDIS_BREAKER_FAILURES: "3",
    }).redis;
    expect(cluster).toMatchObject({
      mode: "cluster",
      nodes: [
        { host: "redis-0", port: 6379 },
        { host: "redis-1", port: 6379 },
      ],
      commandTimeoutMs: 50,
      breakerFailures: 3,
    });
  });

  it("names every bad variable", () => {
    expect(() =>
      loadCacheConfig({
        ...secret,
        TRELLIS_REDIS_URL: "http://nope",
        TRELLIS_REDIS_CLUSTER_NODES: "a,b",
        TRELLIS_CACHE_EARLY_RECOMPUTE_BETA: "-1",
      }),
    ).toThrow(/TRELLIS_REDIS_URL[\s\S]*TRELLIS_REDIS_CLUSTER_NODES[\s\S]*TRELLIS_CACHE_EARLY_RECOMPUTE_BETA/);
    expect(() =>
      loadCacheConfig({ ...secret, TRELLIS_REDIS_URL: "redis://a:1", TRELLIS_REDIS_CLUSTER_NODES: "a:1" }),
    ).toThrow(ConfigError);
  });
});
