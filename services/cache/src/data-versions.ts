import type { Logger } from "@trellis/platform";
import { createRedis } from "./adapters/redis.js";
import { cacheTuningDefaults, type RedisConfig } from "./config.js";
import { staleGraceMs, ttlSecondsByFreshness } from "./domain/freshness.js";
import { versionsKey } from "./domain/keys.js";
import { bumpsForNewData } from "./domain/versions.js";

/** Versions must outlive every entry keyed by them, or a reset could make an old entry reachable again. */
export function versionsTtlMs(staleMaxSeconds: number): number {
  const longestTtlMs = Math.max(...Object.values(ttlSecondsByFreshness)) * 1000;
  return 2 * (longestTtlMs + staleGraceMs(longestTtlMs, staleMaxSeconds));
}

/** One organization's days whose stored data changed outside ingest. */
export interface ChangedDays {
  organizationId: string;
  dates: readonly string[];
}

/**
 * Advances organizations' data versions in the shared Redis from outside any cache service, as
 * the cache does when ingest reports new data for those dates: for a command that changes stored
 * data while the services run (`trellis rebuild`). Every cache instance reads the new versions at
 * its next sync (within `TRELLIS_CACHE_VERSIONS_MAX_AGE_MS`) and stops serving answers computed
 * before the change. Answers, per organization, whether Redis took the advance; none is
 * attempted when Redis is not reachable within its connect time-out.
 */
export async function advanceDataVersionsInRedis(
  config: RedisConfig,
  changes: readonly ChangedDays[],
  logger: Logger,
  staleMaxSeconds = cacheTuningDefaults.staleMaxSeconds,
): Promise<Map<string, boolean>> {
  const advanced = new Map<string, boolean>();
  const redis = createRedis(config, logger);
  try {
    const ready = await redis.ready(config.connectTimeoutMs);
    for (const { organizationId, dates } of changes) {
      if (!ready || dates.length === 0) {
        advanced.set(organizationId, ready);
        continue;
      }
      // Each field moves by one: the same step a cache instance's advance takes, so instances
      // holding their own pending advances still converge on a larger value.
      const ops = bumpsForNewData(dates).map((bump) => ({ field: bump.field, increment: 1n, floor: 0n }));
      try {
        await redis.syncVersions(versionsKey(config.keyPrefix, organizationId), versionsTtlMs(staleMaxSeconds), ops);
        advanced.set(organizationId, true);
      } catch (error) {
        logger.warn({ err: error, organization_id: organizationId }, "could not advance the data version in redis");
        advanced.set(organizationId, false);
      }
    }
  } finally {
    await redis.close();
  }
  return advanced;
}
