/**
 * A seasonality-aware robust baseline: the expected value of a bucket is the median of the same
 * slot in the weeks before (same weekday at day grain, same hour of the week at hour grain), its
 * spread the median absolute deviation (MAD) of those. Robust to the anomalies of past weeks,
 * which a mean and a standard deviation are not.
 */

export type Grain = "hour" | "day";

/** Weeks of history each bucket is compared with. */
export const HISTORY_WEEKS = 6;
/** Fewest past slots with data before a bucket can be judged at all. */
export const MIN_HISTORY = 3;

/** A local bucket key: "YYYY-MM-DD" at day grain, "YYYY-MM-DD HH:00:00" at hour grain (as the engine formats them). */
export function bucketKeys(startDate: string, endDate: string, grain: Grain): string[] {
  const keys: string[] = [];
  for (let t = Date.parse(`${startDate}T00:00:00Z`); t <= Date.parse(`${endDate}T00:00:00Z`); t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    if (grain === "day") keys.push(date);
    else for (let h = 0; h < 24; h++) keys.push(`${date} ${String(h).padStart(2, "0")}:00:00`);
  }
  return keys;
}

/** The same slot `weeks` weeks earlier (local calendar arithmetic, so the local hour stays). */
export function weeksBefore(key: string, weeks: number): string {
  const [date, time] = key.split(" ");
  const shifted = new Date(Date.parse(`${date}T00:00:00Z`) - weeks * 7 * 86_400_000).toISOString().slice(0, 10);
  return time === undefined ? shifted : `${shifted} ${time}`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Judged {
  key: string;
  observed: number;
  expected: number;
  /** Robust z-score: (observed − expected) / spread. */
  score: number;
}

/**
 * Expected value and score of every bucket of `keys` in a series (missing buckets hold 0). Only
 * slots at or after `firstKey` (the organization's first data) count as history; a bucket with
 * fewer than MIN_HISTORY such slots is not judged. The spread has floors — a count's Poisson
 * noise (√expected) and 5 % of the expected value — so a perfectly regular past does not make
 * every small wobble an anomaly.
 */
export function judge(series: ReadonlyMap<string, number>, keys: readonly string[], firstKey: string): Judged[] {
  const judged: Judged[] = [];
  for (const key of keys) {
    const history: number[] = [];
    for (let w = 1; w <= HISTORY_WEEKS; w++) {
      const past = weeksBefore(key, w);
      if (past >= firstKey) history.push(series.get(past) ?? 0);
    }
    if (history.length < MIN_HISTORY) continue;
    const expected = median(history);
    const mad = median(history.map((v) => Math.abs(v - expected)));
    const spread = Math.max(1.4826 * mad, Math.sqrt(expected), 0.05 * expected, 1);
    const observed = series.get(key) ?? 0;
    judged.push({ key, observed, expected, score: (observed - expected) / spread });
  }
  return judged;
}

/** Expected value of one bucket from its same-slot history (for contributors). */
export function expectedAt(series: ReadonlyMap<string, number> | undefined, key: string, firstKey: string): number {
  const history: number[] = [];
  for (let w = 1; w <= HISTORY_WEEKS; w++) {
    const past = weeksBefore(key, w);
    if (past >= firstKey) history.push(series?.get(past) ?? 0);
  }
  return median(history);
}
