import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AnswerSource, CacheService, DateRangeSchema, Freshness } from "@trellis/contracts";
import { inProcessPeer } from "@trellis/platform";
import { beforeEach, describe, expect, it } from "vitest";
import { createL1 } from "../../src/adapters/l1.js";
import { createVersionRegistry } from "../../src/adapters/version-registry.js";
import { createRecomputeTracker } from "../../src/domain/recompute.js";
import { createCacheService } from "../../src/handlers/cache-service.js";
import { createCacheMetrics } from "../../src/metrics.js";
import { asOrganization, bytes, serviceApp, silentLogger, startCache, text } from "../helpers/cache-harness.js";

const range = (startDate: string, endDate: string) => create(DateRangeSchema, { startDate, endDate });

function setup() {
  const clock = { now: 1_000_000, random: 0.5 };
  const l1 = createL1(16 * 1024 * 1024);
  const service = createCacheService({
    l1,
    versions: createVersionRegistry({ maxAgeMs: 0 }),
    recompute: createRecomputeTracker(),
    metrics: createCacheMetrics(),
    logger: silentLogger,
    keyPrefix: "trellis:cache",
    maxValueBytes: 1024,
    staleMaxSeconds: 60,
    earlyRecomputeBeta: 1,
    clock: () => clock.now,
    random: () => clock.random,
  });
  const app = serviceApp((router) => router.service(CacheService, service));
  const client = createClient(CacheService, inProcessPeer(app, silentLogger, { caller: "test" }));
  /** Get, and on a miss set `value` under the versions the get answered with. */
  async function fill(
    organizationId: string,
    key: string,
    value: string,
    extra: { dataRange?: ReturnType<typeof range>; ttlSeconds?: number } = {},
  ) {
    const options = await asOrganization(organizationId);
    const got = await client.get({ key, dataRange: extra.dataRange }, options);
    if (got.found) return got;
    await client.set(
      {
        key,
        value: bytes(value),
        freshness: Freshness.DAILY,
        ttlSeconds: extra.ttlSeconds ?? 0,
        dataVersion: got.dataVersion,
        rulesetVersion: got.rulesetVersion,
        dataRange: extra.dataRange,
      },
      options,
    );
    return got;
  }
  return { client, clock, l1, fill };
}

let t: ReturnType<typeof setup>;
beforeEach(() => {
  t = setup();
});

describe("cache service (in-process level)", () => {
  it("misses, stores, then answers from L1 with the versions it was looked up under", async () => {
    const acme = await asOrganization("acme");
    const miss = await t.client.get({ key: "q1:traffic:a" }, acme);
    expect(miss.found).toBe(false);
    expect(miss.dataVersion).toBe(1n);
    const stored = await t.client.set(
      { key: "q1:traffic:a", value: bytes("answer"), freshness: Freshness.HOURLY, dataVersion: 1n },
      acme,
    );
    expect(stored).toMatchObject({ stored: true, ttlSeconds: 900 });
    const hit = await t.client.get({ key: "q1:traffic:a" }, acme);
    expect(hit).toMatchObject({ found: true, source: AnswerSource.CACHE_L1, stale: false, dataVersion: 1n });
    expect(text(hit.value)).toBe("answer");
    expect(hit.ttlRemainingSeconds).toBeCloseTo(900, 0);
  });

  it("never answers one organization with another's entry", async () => {
    await t.fill("acme", "q1:same", "acme's answer");
    const globex = await t.client.get({ key: "q1:same" }, await asOrganization("globex"));
    expect(globex.found).toBe(false);
  });

  it("refuses to store an answer computed under versions that are no longer current", async () => {
    const acme = await asOrganization("acme");
    const before = await t.client.get({ key: "q1:k" }, acme);
    await t.client.advanceDataVersion({ dates: ["2026-03-02"] }, acme);
    const late = await t.client.set(
      { key: "q1:k", value: bytes("old"), dataVersion: before.dataVersion, rulesetVersion: before.rulesetVersion },
      acme,
    );
    expect(late.stored).toBe(false);
    expect((await t.client.get({ key: "q1:k" }, acme)).found).toBe(false);
  });

  it("makes exactly the answers over the new data's months unreachable, for that organization only", async () => {
    const january = range("2026-01-05", "2026-01-20");
    const march = range("2026-03-05", "2026-03-20");
    for (const org of ["acme", "globex"]) {
      await t.fill(org, "q1:jan", `${org} jan`, { dataRange: january });
      await t.fill(org, "q1:mar", `${org} mar`, { dataRange: march });
      await t.fill(org, "q1:all", `${org} all`);
    }
    const acme = await asOrganization("acme");
    const advanced = await t.client.advanceDataVersion({ dates: ["2026-03-10", "2026-03-11"] }, acme);
    expect(advanced.dataVersion).toBe(2n);

    expect((await t.client.get({ key: "q1:jan", dataRange: january }, acme)).found).toBe(true);
    expect((await t.client.get({ key: "q1:mar", dataRange: march }, acme)).found).toBe(false);
    expect((await t.client.get({ key: "q1:all" }, acme)).found).toBe(false);

    const globex = await asOrganization("globex");
    for (const [key, dataRange] of [
      ["q1:jan", january],
      ["q1:mar", march],
      ["q1:all", undefined],
    ] as const) {
      const got = await t.client.get({ key, dataRange }, globex);
      expect(got.found).toBe(true);
      expect(text(got.value).startsWith("globex")).toBe(true);
    }
  });

  it("treats a range near a month boundary as touching the next month (any time zone)", async () => {
    const endOfFebruary = range("2026-02-20", "2026-02-28");
    await t.fill("acme", "q1:feb", "feb", { dataRange: endOfFebruary });
    const acme = await asOrganization("acme");
    await t.client.advanceDataVersion({ dates: ["2026-03-01"] }, acme);
    expect((await t.client.get({ key: "q1:feb", dataRange: endOfFebruary }, acme)).found).toBe(false);
  });

  it("makes everything unreachable for new data of unknown dates, a campaign change, or an invalidation", async () => {
    const acme = await asOrganization("acme");
    const january = range("2026-01-05", "2026-01-20");
    await t.fill("acme", "q1:jan", "jan", { dataRange: january });
    await t.client.advanceDataVersion({ dates: [] }, acme);
    expect((await t.client.get({ key: "q1:jan", dataRange: january }, acme)).found).toBe(false);

    await t.fill("acme", "q1:jan", "jan", { dataRange: january });
    const ruleset = await t.client.advanceRulesetVersion({ rulesetVersion: 5n }, acme);
    expect(ruleset.rulesetVersion).toBe(5n);
    expect((await t.client.get({ key: "q1:jan", dataRange: january }, acme)).found).toBe(false);
    expect((await t.client.advanceRulesetVersion({ rulesetVersion: 0n }, acme)).rulesetVersion).toBe(6n);

    await t.fill("acme", "q1:x", "x");
    await t.fill("globex", "q1:x", "gx");
    const before = t.l1.entries;
    const invalidated = await t.client.invalidateOrganization({}, acme);
    expect(t.l1.entries).toBeLessThan(before);
    expect(invalidated.dataVersion).toBe((await t.client.getVersions({}, acme)).dataVersion);
    expect((await t.client.get({ key: "q1:x" }, acme)).found).toBe(false);
    expect((await t.client.get({ key: "q1:x" }, await asOrganization("globex"))).found).toBe(true);
  });

  it("serves a stale entry while one caller recomputes it, then the fresh one", async () => {
    await t.fill("acme", "q1:s", "v1", { ttlSeconds: 60 });
    const acme = await asOrganization("acme");
    t.clock.now += 61_000;
    const recomputer = await t.client.get({ key: "q1:s" }, acme);
    expect(recomputer.found).toBe(false);
    const others = await Promise.all([1, 2, 3].map(() => t.client.get({ key: "q1:s" }, acme)));
    for (const other of others) {
      expect(other).toMatchObject({ found: true, stale: true, ttlRemainingSeconds: 0 });
      expect(text(other.value)).toBe("v1");
    }
    await t.client.set({ key: "q1:s", value: bytes("v2"), ttlSeconds: 60, dataVersion: recomputer.dataVersion }, acme);
    const fresh = await t.client.get({ key: "q1:s" }, acme);
    expect(fresh).toMatchObject({ found: true, stale: false });
    expect(text(fresh.value)).toBe("v2");
    t.clock.now += 60_000 + 15_000;
    expect((await t.client.get({ key: "q1:s" }, acme)).found).toBe(false);
  });

  it("tells one caller to recompute a costly entry early, before it expires (XFetch)", async () => {
    const acme = await asOrganization("acme");
    await t.client.get({ key: "q1:x" }, acme);
    t.clock.now += 5_000; // the answer took 5 s to compute
    await t.client.set({ key: "q1:x", value: bytes("v"), ttlSeconds: 60, dataVersion: 1n }, acme);
    t.clock.now += 50_000;
    t.clock.random = 0.1;
    expect((await t.client.get({ key: "q1:x" }, acme)).stale).toBe(false);
    t.clock.random = 0.99; // an exponential draw of 4.6: 5 s × 4.6 reaches past the 10 s left
    const early = await t.client.get({ key: "q1:x" }, acme);
    expect(early).toMatchObject({ found: true, stale: true });
    expect(early.ttlRemainingSeconds).toBeCloseTo(10, 0);
    const next = await t.client.get({ key: "q1:x" }, acme);
    expect(next).toMatchObject({ found: true, stale: false });
  });

  it("validates keys, ranges and value sizes, and requires a context token", async () => {
    const acme = await asOrganization("acme");
    const invalid = async (call: Promise<unknown>) => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      return error?.code;
    };
    expect(await invalid(t.client.get({ key: "has space" }, acme))).toBe(Code.InvalidArgument);
    expect(await invalid(t.client.get({ key: "k", dataRange: range("2026-13-01", "2026-13-02") }, acme))).toBe(
      Code.InvalidArgument,
    );
    expect(await invalid(t.client.set({ key: "k", value: new Uint8Array(2048), dataVersion: 1n }, acme))).toBe(
      Code.InvalidArgument,
    );
    expect(await invalid(t.client.advanceDataVersion({ dates: ["yesterday"] }, acme))).toBe(Code.InvalidArgument);
    expect(await invalid(t.client.get({ key: "k" }))).toBe(Code.Unauthenticated);
  });

  it("reports hits, misses, latencies and events", async () => {
    await t.fill("acme", "q1:a", "a");
    await t.fill("acme", "q1:a", "a");
    const stats = await t.client.getStats({}, await asOrganization("acme"));
    expect(stats.l1).toMatchObject({ hits: 1n, misses: 1n, entries: 1n });
    expect(stats.redisConfigured).toBe(false);
    const names = stats.latencies.map((h) => h.name);
    expect(names).toEqual(expect.arrayContaining(["get", "get.miss", "get.l1_hit", "set"]));
    const get = stats.latencies.find((h) => h.name === "get");
    expect(get?.count).toBe(2n);
    expect(get?.counts.length).toBe((get?.boundsMs.length ?? 0) + 1);
  });
});

describe("cache app without Redis", () => {
  it("serves from memory only and says so", async () => {
    const cache = await startCache();
    try {
      const acme = await asOrganization("acme");
      const got = await cache.client.get({ key: "q1:k" }, acme);
      await cache.client.set({ key: "q1:k", value: bytes("v"), dataVersion: got.dataVersion }, acme);
      expect((await cache.client.get({ key: "q1:k" }, acme)).source).toBe(AnswerSource.CACHE_L1);
      const stats = await cache.client.getStats({}, acme);
      expect(stats).toMatchObject({ redisConfigured: false, redisBreaker: "closed" });
    } finally {
      await cache.close();
    }
  });
});
