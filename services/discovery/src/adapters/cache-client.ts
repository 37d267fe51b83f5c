import type { Client } from "@connectrpc/connect";
import type { CacheService, DateRange, Freshness, GetResponse } from "@trellis/contracts";
import { type Logger, type OrgScope, orgCallOptions } from "@trellis/platform";

/**
 * Discovery's view of the cache service, as the query service's: failures are logged and
 * behave as misses, so a broken cache makes answers slower, never absent. Every call is made for
 * the organization whose verified scope it is given; the cache namespaces everything by it and
 * puts the organization's data and ruleset versions into every key.
 */
export function createCacheClient(client: Client<typeof CacheService>, logger: Logger) {
  return {
    async get(org: OrgScope, key: string, dataRange: DateRange | undefined): Promise<GetResponse | undefined> {
      try {
        return await client.get({ key, dataRange }, { timeoutMs: 1_000, ...orgCallOptions(org) });
      } catch (error) {
        logger.warn(
          { err: error, cache_key: key, organization_id: org.context.organizationId },
          "cache read failed; computing from the store",
        );
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
    ): Promise<void> {
      try {
        await client.set(entry, { timeoutMs: 1_000, ...orgCallOptions(org) });
      } catch (error) {
        logger.warn(
          { err: error, cache_key: entry.key, organization_id: org.context.organizationId },
          "cache write failed",
        );
      }
    },
  };
}

export type CacheClient = ReturnType<typeof createCacheClient>;
