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
  return override > 0 ? override : ttlSecondsByFreshness[freshness];
}
