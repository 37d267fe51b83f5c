import type { Client } from "@connectrpc/connect";
import type { CacheService } from "@trellis/contracts";
import { type Logger, type OrgScope, orgCallOptions } from "@trellis/platform";

/**
 * Tells the cache that an organization has new data, once per organization, flush and set of
 * dates, as the organization whose verified scope it is given (that of the request that
 * submitted it). Batches of one flush share a call only when they touch the same dates: a
 * batch of other dates in the same flush advances its own, or answers over those dates would
 * stay cached without it.
 */
export function createDataVersionNotifier(cache: Client<typeof CacheService> | undefined, logger: Logger) {
  const inFlight = new Map<string, Promise<void>>();
  return {
    async notify(org: OrgScope, flushId: number, dates: ReadonlySet<string>): Promise<void> {
      if (!cache) return;
      const key = `${org.context.organizationId}:${flushId}:${[...dates].sort().join(",")}`;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = cache
          .advanceDataVersion({ dates: [...dates] }, { timeoutMs: 2_000, ...orgCallOptions(org) })
          .then(
            () => undefined,
            (error: unknown) =>
              logger.warn({ err: error }, "could not advance the data version; cached answers may lag"),
          )
          .finally(() => setTimeout(() => inFlight.delete(key), 1_000).unref());
        inFlight.set(key, pending);
      }
      await pending;
    },
  };
}

export type DataVersionNotifier = ReturnType<typeof createDataVersionNotifier>;
