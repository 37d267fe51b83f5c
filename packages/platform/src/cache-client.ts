import type { Client } from "@connectrpc/connect";
import type { CacheService, DateRange, Freshness, GetResponse } from "@trellis/contracts";
import type { Logger } from "./logger.js";
import { type OrgScope, orgCallOptions } from "./org-context.js";

/** What a caller stores in the cache service for one answer. */
export interface CacheEntry {
  key: string;
  value: Uint8Array;
  freshness: Freshness;
  dataVersion: bigint;
  rulesetVersion: bigint;
  dataRange?: DateRange;
}

/** How long a caller waits for the cache before computing the answer itself. */
const CACHE_CALL_TIMEOUT_MS = 1_000;

/**
 * A service's view of the cache service (the query and discovery services use it): failures
 * are logged and behave as misses, so a broken cache makes answers slower, never absent. Every
 * call is made for the organization whose verified scope it is given; the cache namespaces
 * everything by it and puts the organization's data and ruleset versions into every key.
 */
export function createCacheClient(client: Client<typeof CacheService>, logger: Logger) {
  const options = (org: OrgScope, signal: AbortSignal | undefined) => ({
    signal,
    timeoutMs: CACHE_CALL_TIMEOUT_MS,
    ...orgCallOptions(org),
  });
  return {
    /** Raises the organization's ruleset version in the cache; failures are logged, not thrown. */
    async advanceRulesetVersion(org: OrgScope, rulesetVersion: number, signal?: AbortSignal): Promise<void> {
      try {
        await client.advanceRulesetVersion({ rulesetVersion: BigInt(rulesetVersion) }, options(org, signal));
      } catch (error) {
        logger.warn(
          { err: error, ruleset_version: rulesetVersion, organization_id: org.context.organizationId },
          "cache ruleset version not advanced",
        );
      }
    },
    /** The entry under `key`, or undefined on a miss or when the cache cannot be reached. */
    async get(
      org: OrgScope,
      key: string,
      dataRange: DateRange | undefined,
      signal?: AbortSignal,
    ): Promise<GetResponse | undefined> {
      try {
        return await client.get({ key, dataRange }, options(org, signal));
      } catch (error) {
        logger.warn(
          { err: error, cache_key: key, organization_id: org.context.organizationId },
          "cache read failed; computing from the store",
        );
        return undefined;
      }
    },
    /** Stores an answer; failures are logged, not thrown. */
    async set(org: OrgScope, entry: CacheEntry, signal?: AbortSignal): Promise<void> {
      try {
        await client.set(entry, options(org, signal));
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
