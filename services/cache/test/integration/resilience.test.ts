import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asOrganization, type CacheHarness, redisConfig, startCache } from "../helpers/cache-harness.js";
import { type LoadResult, startLoad } from "../helpers/load.js";
import { type RedisServer, startRedisServer } from "../helpers/redis-servers.js";

const ORGANIZATIONS = ["acme", "globex", "initech", "umbrella"];
const COMMAND_TIMEOUT_MS = 100;
// A call may wait for one version sync and one read, each cut off at the command timeout;
// the rest is this loaded 2-core machine's scheduling.
const MAX_CALL_MS = 2 * COMMAND_TIMEOUT_MS + 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let server: RedisServer;
let cache: CacheHarness;

beforeAll(async () => {
  server = await startRedisServer();
  cache = await startCache({
    redis: redisConfig({ url: server.url }, { commandTimeoutMs: COMMAND_TIMEOUT_MS, breakerOpenMs: 300 }),
    tuning: { versionsMaxAgeMs: 100 },
  });
});

afterAll(async () => {
  await cache?.close();
  await server?.stop();
});

async function stats() {
  return cache.client.getStats({}, await asOrganization("acme"));
}

async function untilBreakerCloses(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await stats()).redisBreaker !== "closed") {
    if (Date.now() > deadline) throw new Error("the breaker did not close after Redis came back");
    await sleep(50);
  }
}

/** Runs a load, disrupts Redis in its middle, and waits until Redis is used again. */
async function underLoad(disrupt: () => Promise<void>): Promise<LoadResult> {
  const opened = (await stats()).counters.breaker_opened ?? 0n;
  const load = startLoad(cache, { workers: 48, organizations: ORGANIZATIONS, keys: 40 });
  await sleep(400);
  await disrupt();
  await untilBreakerCloses(10_000);
  await sleep(300);
  const result = await load.stop();
  const after = await stats();
  expect(after.counters.breaker_opened ?? 0n).toBeGreaterThan(opened);
  expect(after.redisBreaker).toBe("closed");
  return result;
}

function expectAnsweredQuickly(result: LoadResult): void {
  expect(result.calls).toBeGreaterThan(1_000);
  expect(result.failures).toBe(0);
  expect(result.found).toBeGreaterThan(0);
  expect(result.maxMs, JSON.stringify(result.slowest)).toBeLessThan(MAX_CALL_MS);
}

describe("cache under load while Redis fails", () => {
  it("answers every call quickly while Redis is killed, and uses it again once restarted", async () => {
    const acme = await asOrganization("acme");
    await cache.client.advanceDataVersion({ dates: ["2026-04-01"] }, acme);
    const before = await cache.client.getVersions({}, acme);
    const result = await underLoad(async () => {
      await server.kill();
      await sleep(1_000);
      await server.restart();
    });
    expectAnsweredQuickly(result);
    // The restarted server lost every version; this instance lifts them back, never down.
    expect((await cache.client.getVersions({}, acme)).dataVersion).toBeGreaterThanOrEqual(before.dataVersion);
    const direct = new Redis(server.url);
    try {
      const keys = await direct.keys("*:{acme}:versions");
      expect(keys).toHaveLength(1);
      expect(Number(await direct.hget(keys[0] ?? "", "data"))).toBeGreaterThanOrEqual(1);
    } finally {
      direct.disconnect();
    }
  });

  it("answers every call quickly while Redis is paused (CLIENT PAUSE 3000 ALL)", async () => {
    const result = await underLoad(async () => {
      await server.cli("client", "pause", "3000", "all");
      await sleep(3_100);
    });
    expectAnsweredQuickly(result);
  });

  it("answers every call quickly while Redis is frozen (SIGSTOP, then SIGCONT)", async () => {
    const result = await underLoad(async () => {
      server.freeze();
      await sleep(2_000);
      server.thaw();
    });
    expectAnsweredQuickly(result);
  });
});
