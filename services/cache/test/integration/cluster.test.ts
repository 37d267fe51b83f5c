import { AnswerSource, Freshness } from "@trellis/contracts";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asOrganization, bytes, type CacheHarness, redisConfig, startCache, text } from "../helpers/cache-harness.js";
import { type RedisCluster, startRedisCluster } from "../helpers/redis-servers.js";

const ORGANIZATIONS = Array.from({ length: 12 }, (_, i) => `org-${i}`);
let cluster: RedisCluster;
let direct: Cluster;
let a: CacheHarness;
let b: CacheHarness;
let prefix: string;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  const config = redisConfig({ nodes: cluster.seeds });
  prefix = config.keyPrefix;
  a = await startCache({ redis: config, tuning: { versionsMaxAgeMs: 0 } });
  b = await startCache({ redis: config, tuning: { versionsMaxAgeMs: 0 } });
  direct = new Cluster(cluster.seeds, { lazyConnect: true });
  await direct.connect();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  direct?.disconnect();
  await cluster?.stop();
});

describe("cache with a 3-master Redis Cluster", () => {
  it("answers entries written through one instance from L2 on another, for organizations on every master", async () => {
    for (const organizationId of ORGANIZATIONS) {
      const options = await asOrganization(organizationId);
      const miss = await a.client.get({ key: "q1:c" }, options);
      expect(miss.found).toBe(false);
      const stored = await a.client.set(
        { key: "q1:c", value: bytes(organizationId), freshness: Freshness.DAILY, dataVersion: miss.dataVersion },
        options,
      );
      expect(stored.stored).toBe(true);
    }
    for (const organizationId of ORGANIZATIONS) {
      const got = await b.client.get({ key: "q1:c" }, await asOrganization(organizationId));
      expect(got).toMatchObject({ found: true, source: AnswerSource.CACHE_L2 });
      expect(text(got.value)).toBe(organizationId);
    }
    const stats = await b.client.getStats({}, await asOrganization("org-0"));
    expect(stats).toMatchObject({ redisConfigured: true, redisBreaker: "closed" });
    expect(stats.counters.l2_errors).toBeUndefined();
  });

  it("keeps each organization's entries and versions in one slot, organizations spread over the masters", async () => {
    const slotOf = async (key: string) => Number(await cluster.nodes[0]?.cli("cluster", "keyslot", key));
    const slots = new Set<number>();
    for (const organizationId of ORGANIZATIONS) {
      const versionsSlot = await slotOf(`${prefix}:{${organizationId}}:versions`);
      const entryKeys = await Promise.all(
        direct.nodes("master").map((node) => node.keys(`${prefix}:{${organizationId}}:e:*`)),
      );
      const keys = entryKeys.flat();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(await slotOf(key)).toBe(versionsSlot);
      slots.add(versionsSlot);
    }
    expect(slots.size).toBe(ORGANIZATIONS.length);
    const perMaster = await Promise.all(direct.nodes("master").map((node) => node.keys(`${prefix}:*`)));
    expect(perMaster.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
  });

  it("shares version advances through the cluster", async () => {
    const options = await asOrganization("org-3");
    await b.client.advanceDataVersion({ dates: ["2026-02-02"] }, options);
    expect((await a.client.get({ key: "q1:c" }, options)).found).toBe(false);
    expect((await a.client.get({ key: "q1:c" }, await asOrganization("org-4"))).found).toBe(true);
  });
});
