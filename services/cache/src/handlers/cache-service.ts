import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { trace } from "@opentelemetry/api";
import {
  AnswerSource,
  type CacheService,
  type Freshness,
  type GetResponse,
  GetResponseSchema,
  LatencyHistogramSchema,
  LevelStatsSchema,
} from "@trellis/contracts";
import { type Logger, requireOrgContext, ValidationError } from "@trellis/platform";
import type { L1 } from "../adapters/l1.js";
import { BREAKER_ATTRIBUTE, type L2 } from "../adapters/l2.js";
import type { VersionRegistry } from "../adapters/version-registry.js";
import type { Entry } from "../domain/envelope.js";
import { judge, staleGraceMs, ttlSeconds } from "../domain/freshness.js";
import { entryKey, isValidCallerKey } from "../domain/keys.js";
import type { RecomputeTracker } from "../domain/recompute.js";
import {
  bumpsForInvalidation,
  bumpsForNewData,
  bumpsForRuleset,
  type KeyScope,
  parseDataRange,
  scopeOf,
} from "../domain/versions.js";
import type { CacheMetrics } from "../metrics.js";

export interface CacheDeps {
  l1: L1;
  /** The Redis level; absent when the cache is in-process only. */
  l2?: L2;
  versions: VersionRegistry;
  recompute: RecomputeTracker;
  metrics: CacheMetrics;
  logger: Logger;
  keyPrefix: string;
  maxValueBytes: number;
  staleMaxSeconds: number;
  earlyRecomputeBeta: number;
  clock?: () => number;
  random?: () => number;
}

const SOURCE_ATTRIBUTE = "trellis.cache.source";

interface Found {
  entry: Entry;
  source: AnswerSource;
}

export function createCacheService(deps: CacheDeps): ServiceImpl<typeof CacheService> {
  const now = deps.clock ?? Date.now;
  const random = deps.random ?? Math.random;
  const { metrics } = deps;

  function checkKey(key: string): void {
    if (!isValidCallerKey(key)) {
      throw ValidationError.field("key", "must be 1-256 characters of letters, digits, ':', '.', '_' or '-'");
    }
  }

  function tagSpan(source: string): void {
    const span = trace.getActiveSpan();
    if (!span) return;
    span.setAttribute(SOURCE_ATTRIBUTE, source);
    span.setAttribute(BREAKER_ATTRIBUTE, deps.l2 ? deps.l2.breakerState : "none");
  }

  async function lookup(organizationId: string, fullKey: string): Promise<Found | undefined> {
    const cached = deps.l1.get(fullKey);
    // The entry carries its owner and key: a confused lookup can never hand out a foreign answer.
    if (cached && cached.organizationId === organizationId && cached.key === fullKey) {
      metrics.hit("l1");
      return { entry: cached, source: AnswerSource.CACHE_L1 };
    }
    if (cached) metrics.count("l1_rejected");
    metrics.miss("l1");
    if (!deps.l2) return undefined;
    const read = await deps.l2.get(organizationId, fullKey);
    const remainingMs = read.entry ? read.entry.hardExpiresAt - now() : 0;
    if (read.entry && remainingMs > 0) {
      metrics.hit("l2");
      deps.l1.set(read.entry, remainingMs);
      return { entry: read.entry, source: AnswerSource.CACHE_L2 };
    }
    metrics.miss("l2");
    return undefined;
  }

  /** What the caller gets for an entry: the value, or a miss when it is the one to recompute. */
  function answer(found: Found, fullKey: string, scope: KeyScope): { response?: GetResponse; outcome: string } {
    const at = now();
    const { entry } = found;
    const serve = (stale: boolean) =>
      create(GetResponseSchema, {
        found: true,
        value: entry.value,
        source: found.source,
        ttlRemainingSeconds: Math.max(0, (entry.softExpiresAt - at) / 1000),
        stale,
        dataVersion: scope.data,
        rulesetVersion: scope.ruleset,
      });
    const level = found.source === AnswerSource.CACHE_L1 ? "l1_hit" : "l2_hit";
    switch (judge(entry, at, deps.earlyRecomputeBeta, random)) {
      case "fresh":
        return { response: serve(false), outcome: level };
      case "early":
        if (!deps.recompute.lease(fullKey, at, entry.computeMs)) return { response: serve(false), outcome: level };
        metrics.count("early_recompute");
        return { response: serve(true), outcome: level };
      case "stale":
        // A caller that ignores `stale` still refreshes the entry: the lease holder gets a miss.
        if (deps.recompute.lease(fullKey, at, entry.computeMs)) {
          metrics.count("stale_recompute");
          return { outcome: "miss" };
        }
        metrics.count("stale_served");
        return { response: serve(true), outcome: level };
      case "expired":
        return { outcome: "miss" };
    }
  }

  return {
    async get(req, ctx) {
      const started = performance.now();
      const organizationId = requireOrgContext(ctx.values).organizationId;
      checkKey(req.key);
      const range = parseDataRange(req.dataRange, "data_range");
      const scope = scopeOf(await deps.versions.current(organizationId), range);
      const fullKey = entryKey(deps.keyPrefix, organizationId, scope, req.key);
      const found = await lookup(organizationId, fullKey);
      let result: { response?: GetResponse; outcome: string } = { outcome: "miss" };
      if (found) result = answer(found, fullKey, scope);
      if (!result.response) deps.recompute.missed(fullKey, now());
      const elapsed = performance.now() - started;
      metrics.observe("get", elapsed);
      metrics.observe(`get.${result.outcome}`, elapsed);
      tagSpan(result.outcome);
      return (
        result.response ??
        create(GetResponseSchema, { found: false, dataVersion: scope.data, rulesetVersion: scope.ruleset })
      );
    },

    async set(req, ctx) {
      const started = performance.now();
      const organizationId = requireOrgContext(ctx.values).organizationId;
      checkKey(req.key);
      if (req.value.byteLength > deps.maxValueBytes) {
        throw ValidationError.field("value", `must be at most ${deps.maxValueBytes} bytes`);
      }
      const range = parseDataRange(req.dataRange, "data_range");
      const scope = scopeOf(await deps.versions.current(organizationId), range);
      if (req.dataVersion !== scope.data || req.rulesetVersion !== scope.ruleset) {
        metrics.count("set_outdated");
        return { ttlSeconds: 0, stored: false };
      }
      const ttl = ttlSeconds(req.freshness as Freshness, req.ttlSeconds);
      const at = now();
      const lifetimeMs = ttl * 1000 + staleGraceMs(ttl * 1000, deps.staleMaxSeconds);
      const fullKey = entryKey(deps.keyPrefix, organizationId, scope, req.key);
      const entry: Entry = {
        organizationId,
        key: fullKey,
        // A copy: the request's bytes may be a view into a buffer the transport reuses.
        value: req.value.slice(),
        storedAt: at,
        softExpiresAt: at + ttl * 1000,
        hardExpiresAt: at + lifetimeMs,
        computeMs: deps.recompute.computed(fullKey, at),
      };
      deps.l1.set(entry, lifetimeMs);
      if (deps.l2) await deps.l2.set(entry, lifetimeMs);
      metrics.observe("set", performance.now() - started);
      tagSpan("set");
      return { ttlSeconds: ttl, stored: true };
    },

    async getVersions(_req, ctx) {
      const organizationId = requireOrgContext(ctx.values).organizationId;
      const scope = scopeOf(await deps.versions.current(organizationId), undefined);
      return { dataVersion: scope.data, rulesetVersion: scope.ruleset };
    },

    async advanceDataVersion(req, ctx) {
      const organizationId = requireOrgContext(ctx.values).organizationId;
      const vector = await deps.versions.advance(organizationId, bumpsForNewData(req.dates));
      return { dataVersion: scopeOf(vector, undefined).data };
    },

    async advanceRulesetVersion(req, ctx) {
      const organizationId = requireOrgContext(ctx.values).organizationId;
      const vector = await deps.versions.advance(organizationId, bumpsForRuleset(req.rulesetVersion));
      return { rulesetVersion: scopeOf(vector, undefined).ruleset };
    },

    async invalidateOrganization(_req, ctx) {
      const organizationId = requireOrgContext(ctx.values).organizationId;
      const dropped = deps.l1.deleteOrganization(organizationId);
      const vector = await deps.versions.advance(organizationId, bumpsForInvalidation);
      deps.logger.info({ dropped }, "organization's cached answers invalidated");
      return { dataVersion: scopeOf(vector, undefined).data, droppedEntries: BigInt(dropped) };
    },

    async getStats() {
      const l1 = metrics.level("l1");
      const l2 = metrics.level("l2");
      return {
        l1: create(LevelStatsSchema, {
          hits: BigInt(l1.hits),
          misses: BigInt(l1.misses),
          entries: BigInt(deps.l1.entries),
          bytes: BigInt(deps.l1.bytes),
        }),
        l2: create(LevelStatsSchema, { hits: BigInt(l2.hits), misses: BigInt(l2.misses) }),
        redisConfigured: deps.l2 !== undefined,
        redisBreaker: deps.l2 ? deps.l2.breakerState : "closed",
        latencies: metrics.histograms().map((h) =>
          create(LatencyHistogramSchema, {
            name: h.name,
            boundsMs: h.boundsMs,
            counts: h.counts.map(BigInt),
            count: BigInt(h.count),
            sumMs: h.sumMs,
            p50Ms: h.p50Ms,
            p99Ms: h.p99Ms,
          }),
        ),
        counters: Object.fromEntries(Object.entries(metrics.counters()).map(([name, n]) => [name, BigInt(n)])),
      };
    },
  };
}
