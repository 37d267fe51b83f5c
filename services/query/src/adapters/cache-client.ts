import type { Client } from "@connectrpc/connect";
import type { CacheService, DateRange, Freshness, GetResponse } from "@trellis/contracts";
import { type Logger, type OrgScope, orgCallOptions } from "@trellis/platform";

/**
 * The query service's view of the cache: failures are logged and behave as misses, so a
 * broken cache makes answers slower, never absent. Every call is made for the organization
 * whose verified scope it is given; the cache namespaces everything by it.
 */
export function createCacheClient(client: Client<typeof CacheService>, logger: Logger) {
  return {
    /** Raises the organization's ruleset version in the cache; failures are logged, not thrown. */
    async advanceRulesetVersion(org: OrgScope, rulesetVersion: number, signal?: AbortSignal): Promise<void> {
      try {
        await client.advanceRulesetVersion(
          { rulesetVersion: BigInt(rulesetVersion) },
          { signal, timeoutMs: 1_000, ...orgCallOptions(org) },
        );
      } catch (error) {
        logger.warn({ err: error, ruleset_version: rulesetVersion }, "cache ruleset version not advanced");
      }
    },
    async get(
      org: OrgScope,
      key: string,
      dataRange: DateRange | undefined,
      signal?: AbortSignal,
    ): Promise<GetResponse | undefined> {
      try {
        return await client.get({ key, dataRange }, { signal, timeoutMs: 1_000, ...orgCallOptions(org) });
      } catch (error) {
        logger.warn({ err: error, cache_key: key }, "cache read failed; computing from the store");
        return undefined;
      }
    },
    async set(
      org: OrgScope,
      entry: {
        key: string;
        value: Uint8Array;
        freshness: Freshness;
        dataVersion: bigint;
        rulesetVersion: bigint;
        dataRange?: DateRange;
      },
      signal?: AbortSignal,
    ): Promise<void> {
      try {
        await client.set(entry, { signal, timeoutMs: 1_000, ...orgCallOptions(org) });
      } catch (error) {
        logger.warn({ err: error, cache_key: entry.key }, "cache write failed");
      }
    },
  };
}

export type CacheClient = ReturnType<typeof createCacheClient>;
