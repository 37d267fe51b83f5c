import { Freshness } from "@trellis/contracts";

/** Time to live by how fresh the data behind an answer is, in seconds. */
export const ttlSecondsByFreshness: Record<Freshness, number> = {
  [Freshness.UNSPECIFIED]: 5 * 60,
  [Freshness.REALTIME]: 60,
  [Freshness.HOURLY]: 15 * 60,
  [Freshness.DAILY]: 4 * 3600,
  [Freshness.WEEKLY]: 24 * 3600,
  [Freshness.MONTHLY]: 7 * 24 * 3600,
  // Only new data for a closed range changes its answer, and that advances the data version.
  [Freshness.HISTORICAL]: 30 * 24 * 3600,
};

export function ttlSeconds(freshness: Freshness, override: number): number {
  if (override > 0) return override;
  return ttlSecondsByFreshness[freshness] ?? ttlSecondsByFreshness[Freshness.UNSPECIFIED];
}

/**
 * How long an entry may be served stale past its TTL while one caller recomputes it: a
 * quarter of its TTL, at most `staleMaxSeconds`. Serving it is safe because its key carries
 * the versions it was computed under: new data or a campaign change makes it unreachable,
 * stale or not; only time-relative answers ("today") can lag, and by no more than this.
 */
export function staleGraceMs(ttlMs: number, staleMaxSeconds: number): number {
  return Math.min(Math.floor(ttlMs / 4), staleMaxSeconds * 1000);
}

/**
 * - fresh: serve it.
 * - early: serve it, and this caller should recompute it now (probabilistic early
 *   recomputation, XFetch: the closer to expiry and the longer the answer takes to compute,
 *   the likelier; so a hot key is refreshed by one caller before it expires instead of by
 *   all of them after).
 * - stale: past its TTL but within its grace: serve it to all but the one caller that
 *   recomputes it.
 * - expired: gone.
 */
export type Judgement = "fresh" | "early" | "stale" | "expired";

export function judge(
  entry: { softExpiresAt: number; hardExpiresAt: number; computeMs: number },
  now: number,
  beta: number,
  random: () => number,
): Judgement {
  if (now >= entry.hardExpiresAt) return "expired";
  if (now >= entry.softExpiresAt) return "stale";
  if (beta > 0 && entry.computeMs > 0) {
    // -ln(u) for u in (0, 1] is an exponential draw with mean 1.
    const draw = -Math.log(1 - random());
    if (now + entry.computeMs * beta * draw >= entry.softExpiresAt) return "early";
  }
  return "fresh";
}
