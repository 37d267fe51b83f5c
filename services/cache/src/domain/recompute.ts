import { LRUCache } from "lru-cache";

const MAX_LEASE_MS = 10_000;
const MIN_LEASE_MS = 1_000;

/**
 * Who recomputes what. A miss starts a timer for its key, so that the Set that follows says
 * how long the answer took (the XFetch cost); a lease lets one caller recompute an entry
 * that is stale or near expiry while the others are served the entry. Bounded: forgotten
 * keys only mean an unknown cost or a second recomputation.
 */
export function createRecomputeTracker(maxKeys = 50_000) {
  const missedAt = new LRUCache<string, number>({ max: maxKeys });
  const leasedUntil = new LRUCache<string, number>({ max: maxKeys });
  return {
    missed(fullKey: string, now: number): void {
      if (!missedAt.has(fullKey)) missedAt.set(fullKey, now);
    },
    /** Milliseconds since the miss for `fullKey`, 0 when unknown. Forgets the miss and the lease. */
    computed(fullKey: string, now: number): number {
      const started = missedAt.get(fullKey);
      missedAt.delete(fullKey);
      leasedUntil.delete(fullKey);
      return started === undefined ? 0 : Math.max(0, now - started);
    },
    /** True for the one caller that may recompute `fullKey` until the lease runs out. */
    lease(fullKey: string, now: number, computeMs: number): boolean {
      const until = leasedUntil.get(fullKey);
      if (until !== undefined && until > now) return false;
      leasedUntil.set(fullKey, now + Math.min(MAX_LEASE_MS, Math.max(MIN_LEASE_MS, 2 * computeMs)));
      missedAt.set(fullKey, now);
      return true;
    },
  };
}

export type RecomputeTracker = ReturnType<typeof createRecomputeTracker>;
