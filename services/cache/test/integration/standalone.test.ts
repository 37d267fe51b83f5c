import { AnswerSource, Freshness } from "@trellis/contracts";
import { installTelemetry, ORG_ATTRIBUTE } from "@trellis/platform";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asOrganization, bytes, type CacheHarness, redisConfig, startCache, text } from "../helpers/cache-harness.js";
import { type RedisServer, startRedisServer } from "../helpers/redis-servers.js";

const telemetry = installTelemetry({ serviceName: "cache-test", inMemory: true });
let server: RedisServer;
let redis: Redis;
const open: CacheHarness[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  for (const cache of open) await cache.close();
  redis?.disconnect();
  await server?.stop();
});

/** Two cache instances (two processes' worth) sharing one Redis under a fresh key prefix. */
async function pair(versionsMaxAgeMs = 0) {
  const config = redisConfig({ url: server.url });
  const a = await startCache({ redis: config, tuning: { versionsMaxAgeMs } });
  const b = await startCache({ redis: config, tuning: { versionsMaxAgeMs } });
  open.push(a, b);
  return { a, b, prefix: config.keyPrefix };
}

async function fill(cache: CacheHarness, organizationId: string, key: string, value: string) {
  const options = await asOrganization(organizationId);
  const got = await cache.client.get({ key }, options);
  await cache.client.set(
    { key, value: bytes(value), freshness: Freshness.HOURLY, dataVersion: got.dataVersion },
    options,
  );
}

describe("cache with a standalone Redis", () => {
  it("answers one instance's entry from L2 on another, then from its own L1", async () => {
    const { a, b } = await pair();
    await fill(a, "acme", "q1:shared", "acme's answer");
    const acme = await asOrganization("acme");
    const first = await b.client.get({ key: "q1:shared" }, acme);
    expect(first).toMatchObject({ found: true, source: AnswerSource.CACHE_L2 });
    expect(text(first.value)).toBe("acme's answer");
    expect((await b.client.get({ key: "q1:shared" }, acme)).source).toBe(AnswerSource.CACHE_L1);
    expect((await b.client.get({ key: "q1:shared" }, await asOrganization("globex"))).found).toBe(false);
    const stats = await b.client.getStats({}, acme);
    expect(stats).toMatchObject({ redisConfigured: true, redisBreaker: "closed" });
    expect(stats.l2?.hits).toBe(1n);
  });

  it("keeps versions in Redis: an advance through one instance makes the answer unreachable through the other", async () => {
    const { a, b, prefix } = await pair();
    await fill(a, "acme", "q1:v", "before");
    await fill(a, "globex", "q1:v", "globex");
    const acme = await asOrganization("acme");
    expect((await b.client.get({ key: "q1:v" }, acme)).found).toBe(true);
    await a.client.advanceDataVersion({ dates: ["2026-05-04"] }, acme);
    expect((await b.client.get({ key: "q1:v" }, acme)).found).toBe(false);
    expect((await b.client.get({ key: "q1:v" }, await asOrganization("globex"))).found).toBe(true);
    const versions = await redis.hgetall(`${prefix}:{acme}:versions`);
    expect(versions).toMatchObject({ data: "1", "m:2026-05": "1" });
    expect(await redis.pttl(`${prefix}:{acme}:versions`)).toBeGreaterThan(30 * 24 * 3600 * 1000);
  });

  it("sees another instance's advance within the versions' max age", async () => {
    const { a, b } = await pair(200);
    const acme = await asOrganization("acme");
    await fill(a, "acme", "q1:lag", "v");
    expect((await b.client.get({ key: "q1:lag" }, acme)).found).toBe(true);
    await a.client.advanceDataVersion({ dates: [] }, acme);
    await new Promise((r) => setTimeout(r, 250));
    expect((await b.client.get({ key: "q1:lag" }, acme)).found).toBe(false);
  });

  it("invalidates one organization: its L1 entries dropped here, its versions advanced for everyone", async () => {
    const { a, b } = await pair();
    await fill(a, "acme", "q1:i", "acme");
    await fill(a, "globex", "q1:i", "globex");
    const acme = await asOrganization("acme");
    expect((await b.client.get({ key: "q1:i" }, acme)).found).toBe(true);
    await a.client.invalidateOrganization({}, acme);
    expect((await a.client.get({ key: "q1:i" }, acme)).found).toBe(false);
    expect((await b.client.get({ key: "q1:i" }, acme)).found).toBe(false);
    expect((await b.client.get({ key: "q1:i" }, await asOrganization("globex"))).found).toBe(true);
  });

  it("stores every entry with a TTL, and refuses a value that belongs to another organization", async () => {
    const { a, b, prefix } = await pair();
    await fill(a, "acme", "q1:secret", "acme only");
    const [acmeKey] = await redis.keys(`${prefix}:{acme}:e:*`);
    if (!acmeKey) throw new Error("no entry written");
    const pttl = await redis.pttl(acmeKey);
    // HOURLY: 15 minutes, plus a minute of grace for stale-while-revalidate.
    expect(pttl).toBeGreaterThan(900_000);
    expect(pttl).toBeLessThanOrEqual((900 + 60) * 1000);
    // A confused writer puts acme's bytes under globex's key.
    const globexKey = acmeKey.replace("{acme}", "{globex}");
    await redis.set(globexKey, (await redis.getBuffer(acmeKey)) ?? "", "PX", 60_000);
    const globex = await b.client.get({ key: "q1:secret" }, await asOrganization("globex"));
    expect(globex.found).toBe(false);
    expect((await b.client.getStats({}, await asOrganization("globex"))).counters.l2_rejected).toBe(1n);
  });

  it("traces Redis commands with the organization and the breaker state, never the value", async () => {
    const { a } = await pair();
    telemetry.memoryExporter?.reset();
    await fill(a, "acme", "q1:traced", "secret-value-bytes");
    const spans = telemetry.memoryExporter?.getFinishedSpans() ?? [];
    const names = spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["redis GET", "redis SET", "redis EVALSHA"]));
    for (const span of spans.filter((s) => s.name.startsWith("redis "))) {
      expect(span.attributes[ORG_ATTRIBUTE]).toBe("acme");
      expect(span.attributes["trellis.cache.redis_breaker"]).toBe("closed");
      expect(JSON.stringify(span.attributes)).not.toContain("secret-value-bytes");
    }
    const rpc = spans.find((s) => s.name === "trellis.warehouse.v1.CacheService/Get");
    expect(rpc?.attributes["trellis.cache.redis_breaker"]).toBe("closed");
    expect(rpc?.attributes["trellis.cache.source"]).toBe("miss");
  });
});
