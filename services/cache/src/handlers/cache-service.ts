import type { ServiceImpl } from "@connectrpc/connect";
import { AnswerSource, type CacheService, type Freshness } from "@trellis/contracts";
import { requireOrgContext, ValidationError } from "@trellis/platform";
import type { L1 } from "../adapters/l1.js";
import { ttlSeconds } from "../domain/freshness.js";
import { entryKey, isValidCallerKey } from "../domain/keys.js";
import type { VersionRegistry } from "../domain/versions.js";

export interface CacheDeps {
  l1: L1;
  versions: VersionRegistry;
  maxValueBytes: number;
  clock?: () => number;
}

export interface CacheCounters {
  l1Hits: number;
  l1Misses: number;
}

export function createCacheService(deps: CacheDeps, counters: CacheCounters): ServiceImpl<typeof CacheService> {
  const now = deps.clock ?? Date.now;

  function checkKey(key: string): void {
    if (!isValidCallerKey(key)) {
      throw ValidationError.field("key", "must be 1-256 characters of letters, digits, ':', '.', '_' or '-'");
    }
  }

  return {
    async get(req, ctx) {
      const org = requireOrgContext(ctx.values);
      checkKey(req.key);
      const versions = deps.versions.get(org.organizationId);
      const fullKey = entryKey(org.organizationId, versions, req.key);
      const entry = deps.l1.get(fullKey);
      // The value carries its owner and key: a confused lookup can never hand out a foreign answer.
      if (entry && entry.organizationId === org.organizationId && entry.key === fullKey) {
        counters.l1Hits++;
        return {
          found: true,
          value: entry.value,
          source: AnswerSource.CACHE_L1,
          ttlRemainingSeconds: Math.max(0, (entry.expiresAt - now()) / 1000),
          dataVersion: versions.data,
          rulesetVersion: versions.ruleset,
        };
      }
      counters.l1Misses++;
      return { found: false, dataVersion: versions.data, rulesetVersion: versions.ruleset };
    },

    async set(req, ctx) {
      const org = requireOrgContext(ctx.values);
      checkKey(req.key);
      if (req.value.byteLength > deps.maxValueBytes) {
        throw ValidationError.field("value", `must be at most ${deps.maxValueBytes} bytes`);
      }
      const versions = deps.versions.get(org.organizationId);
      if (req.dataVersion !== versions.data || req.rulesetVersion !== versions.ruleset) {
        return { ttlSeconds: 0, stored: false };
      }
      const ttl = ttlSeconds(req.freshness as Freshness, req.ttlSeconds);
      const fullKey = entryKey(org.organizationId, versions, req.key);
      deps.l1.set(
        fullKey,
        { organizationId: org.organizationId, key: fullKey, value: req.value, expiresAt: now() + ttl * 1000 },
        ttl * 1000,
      );
      return { ttlSeconds: ttl, stored: true };
    },

    async getVersions(_req, ctx) {
      const org = requireOrgContext(ctx.values);
      const versions = deps.versions.get(org.organizationId);
      return { dataVersion: versions.data, rulesetVersion: versions.ruleset };
    },

    async advanceDataVersion(_req, ctx) {
      const org = requireOrgContext(ctx.values);
      return { dataVersion: deps.versions.advanceData(org.organizationId) };
    },

    async advanceRulesetVersion(req, ctx) {
      const org = requireOrgContext(ctx.values);
      return { rulesetVersion: deps.versions.advanceRuleset(org.organizationId, req.rulesetVersion) };
    },

    async invalidateOrganization(_req, ctx) {
      const org = requireOrgContext(ctx.values);
      deps.l1.deleteOrganization(org.organizationId);
      return { dataVersion: deps.versions.advanceData(org.organizationId) };
    },

    async getStats() {
      return {
        l1: {
          hits: BigInt(counters.l1Hits),
          misses: BigInt(counters.l1Misses),
          entries: BigInt(deps.l1.entries),
          bytes: BigInt(deps.l1.bytes),
        },
        redisConfigured: false,
        redisBreaker: "closed",
      };
    },
  };
}
