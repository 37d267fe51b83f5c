/**
 * A seasonality-aware robust baseline: the expected value of a bucket is the median of the same
 * slot in the weeks before (same weekday at day grain, same hour of the week at hour grain), its
 * spread the median absolute deviation (MAD) of those. Robust to the anomalies of past weeks,
 * which a mean and a standard deviation are not.
 *
 * A bucket is scored on two scales and keeps the score further out: counts (a spike that adds
 * many sessions to a steady series) and, where at least RATIO_MIN_EXPECTED are expected, ratios,
 * the logarithm of the values (web traffic's day-to-day noise is mostly proportional, so a past
 * with bursts makes the count scale's spread a third of the expected value or more — and then
 * even a day that lost 80 % of its traffic stays under any useful score on that scale, while on
 * the ratio scale it is far out).
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
  /**
   * Robust z-score, the further out of two: (observed − expected) / spread on counts, and, where
   * at least RATIO_MIN_EXPECTED are expected, the same on the logarithms of the values (log(v + 1)).
   */
  score: number;
}

/**
 * Fewest expected events of a bucket for its ratio score to count. Below it a count's own
 * (Poisson) noise dominates and the logarithm overstates a move to zero: an hour that expects 9
 * sessions and gets none is 3 standard deviations out on counts but 7 on ratios. Measured with
 * `bench:discovery:anomalies` at hour grain: ratios from any size doubled the false alarms
 * against counts alone (1.57 against 0.86 per organization-month); from 50, none more; at day
 * grain the drops found were the same from 0 to 50 (0.93, counts alone 0.77).
 */
export const RATIO_MIN_EXPECTED = 50;

/** Scales a bucket is scored on: each is a test, for the family-wise threshold. */
export type Scale = "counts" | "ratios";
export const SCALES: readonly Scale[] = ["counts", "ratios"];

/**
 * Expected value and score of every bucket of `keys` in a series (missing buckets hold 0). Only
 * slots at or after `firstKey` (the organization's first data) count as history; a bucket with
 * fewer than MIN_HISTORY such slots is not judged. Each scale's spread has floors — a count's
 * Poisson noise (√expected on counts, 1/√expected on logarithms) and 5 % of the expected value —
 * so a perfectly regular past does not make every small wobble an anomaly.
 */
export function judge(
  series: ReadonlyMap<string, number>,
  keys: readonly string[],
  firstKey: string,
  scales: readonly Scale[] = SCALES,
): Judged[] {
  const judged: Judged[] = [];
  for (const key of keys) {
    const history = historyOf(series, key, firstKey);
    if (history.length < MIN_HISTORY) continue;
    const observed = series.get(key) ?? 0;
    const expected = median(history);
    const countSpread = Math.max(1.4826 * medianDeviation(history, expected), Math.sqrt(expected), 0.05 * expected, 1);
    const countScore = scales.includes("counts") ? (observed - expected) / countSpread : 0;
    const logScore =
      scales.includes("ratios") && expected >= RATIO_MIN_EXPECTED ? ratioScore(history, observed, expected) : 0;
    judged.push({ key, observed, expected, score: Math.abs(logScore) > Math.abs(countScore) ? logScore : countScore });
  }
  return judged;
}

/** The robust z-score of `observed` on the logarithms of the values, floored at 1/√expected and 0.05. */
function ratioScore(history: readonly number[], observed: number, expected: number): number {
  const logs = history.map((v) => Math.log1p(v));
  const center = median(logs);
  const spread = Math.max(1.4826 * medianDeviation(logs, center), 1 / Math.sqrt(expected), 0.05);
  return (Math.log1p(observed) - center) / spread;
}

function historyOf(series: ReadonlyMap<string, number> | undefined, key: string, firstKey: string): number[] {
  const history: number[] = [];
  for (let w = 1; w <= HISTORY_WEEKS; w++) {
    const past = weeksBefore(key, w);
    if (past >= firstKey) history.push(series?.get(past) ?? 0);
  }
  return history;
}

function medianDeviation(values: readonly number[], center: number): number {
  return median(values.map((v) => Math.abs(v - center)));
}

/**
 * The key of the bucket in progress at `now` in the zone: it and the buckets after it are not
 * judged (a day at 9 a.m. holds a third of its traffic — a drop on any scale, and no anomaly).
 */
export function bucketInProgress(now: Date, timeZone: string, grain: Grain): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return grain === "day" ? date : `${date} ${parts.hour}:00:00`;
}

/** Expected value of one bucket from its same-slot history (for contributors). */
export function expectedAt(series: ReadonlyMap<string, number> | undefined, key: string, firstKey: string): number {
  return median(historyOf(series, key, firstKey));
}

/** Upper-tail probability of the standard normal distribution (Abramowitz–Stegun 7.1.26 via erfc). */
function normalTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return erfc / 2;
}

/**
 * The |z| a bucket must reach so that, over `tests` buckets judged, the chance of any false
 * alarm stays at `alpha` (Bonferroni: each two-sided test at alpha / tests).
 */
export function bonferroniThreshold(tests: number, alpha: number): number {
  const target = alpha / (2 * Math.max(1, tests));
  let low = 0;
  let high = 40;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (normalTail(mid) > target) low = mid;
    else high = mid;
  }
  return high;
}

/**
 * The score an alarm needs: the asked threshold, or more when the run's tests (series × buckets ×
 * scales) need more to keep the family-wise false-alarm chance at `familyAlpha`.
 */
export function scoreNeeded(threshold: number, tests: number, familyAlpha: number): number {
  return Math.max(threshold, bonferroniThreshold(tests, familyAlpha));
}

/** A judged bucket is an alarm when its score clears `scoreNeeded` and it moved by at least `minRelativeChange` of its expected value. */
export function isAlarm(j: Judged, scoreNeeded: number, minRelativeChange: number): boolean {
  return Math.abs(j.score) >= scoreNeeded && Math.abs(j.observed - j.expected) >= minRelativeChange * j.expected;
}
