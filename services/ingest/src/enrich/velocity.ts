import { LRUCache } from "lru-cache";

export interface SlidingWindowCounter {
  /** Counts one event of `key` at `timeMs` and returns the estimated number of its events in the window ending then. */
  add(key: string, timeMs: number): number;
}

interface Buckets {
  index: number;
  current: number;
  previous: number;
}

/**
 * The sliding-window counter of rate limiters: per key, the counts of the current and the previous fixed window,
 * the previous one weighted by how much of it the sliding window still covers. Constant memory per key, at most
 * `maxEntries` keys (least recently seen forgotten first). The state lives in this process only: with several ingest
 * processes each counts the events it received.
 */
export function createSlidingWindowCounter(windowMs: number, maxEntries: number): SlidingWindowCounter {
  const keys = new LRUCache<string, Buckets>({ max: maxEntries });
  return {
    add(key, timeMs) {
      const index = Math.floor(timeMs / windowMs);
      let buckets = keys.get(key);
      if (buckets === undefined) {
        buckets = { index, current: 0, previous: 0 };
        keys.set(key, buckets);
      }
      if (index > buckets.index) {
        buckets.previous = index === buckets.index + 1 ? buckets.current : 0;
        buckets.current = 0;
        buckets.index = index;
      }
      if (index === buckets.index) {
        buckets.current += 1;
        const covered = 1 - (timeMs - index * windowMs) / windowMs;
        return buckets.previous * covered + buckets.current;
      }
      // A late event, from before the current window: counted if it falls in the previous one, and judged with both.
      if (index === buckets.index - 1) buckets.previous += 1;
      return buckets.previous + buckets.current;
    },
  };
}
