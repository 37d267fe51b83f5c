/** Upper bucket bounds in milliseconds, from tens of microseconds (an L1 hit) to seconds. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
];

export interface HistogramSnapshot {
  boundsMs: number[];
  counts: number[];
  count: number;
  sumMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** A fixed-bucket latency histogram: constant memory, quantiles interpolated in a bucket. */
export function createHistogram(bounds: readonly number[] = LATENCY_BOUNDS_MS) {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let count = 0;
  let sum = 0;
  let max = 0;

  function quantile(q: number): number {
    if (count === 0) return 0;
    const rank = q * count;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      const inBucket = counts[i] ?? 0;
      if (inBucket > 0 && seen + inBucket >= rank) {
        const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
        const upper = bounds[i] ?? max;
        return lower + (upper - lower) * ((rank - seen) / inBucket);
      }
      seen += inBucket;
    }
    return max;
  }

  return {
    observe(ms: number): void {
      let i = 0;
      while (i < bounds.length && ms > (bounds[i] ?? Number.POSITIVE_INFINITY)) i++;
      counts[i] = (counts[i] ?? 0) + 1;
      count++;
      sum += ms;
      if (ms > max) max = ms;
    },
    snapshot(): HistogramSnapshot {
      return {
        boundsMs: [...bounds],
        counts: [...counts],
        count,
        sumMs: sum,
        p50Ms: quantile(0.5),
        p99Ms: quantile(0.99),
      };
    },
  };
}

export type Histogram = ReturnType<typeof createHistogram>;
