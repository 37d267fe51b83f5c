import { LRUCache } from "lru-cache";

export interface TokenBucketOptions {
  /** Tokens added a second. */
  perSecond: number;
  /** Most tokens a bucket holds: how many requests may come at once. */
  burst: number;
  /** Buckets kept (least recently used dropped: a dropped bucket starts full again). */
  maxKeys?: number;
  now?: () => number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * One token bucket per key, in this process: each request takes a token; a bucket refills
 * continuously at `perSecond` up to `burst`. A refused request is told when the next token
 * arrives (whole seconds, at least one, as Retry-After carries them).
 */
export function createTokenBuckets(options: TokenBucketOptions) {
  const now = options.now ?? Date.now;
  const buckets = new LRUCache<string, { tokens: number; at: number }>({ max: options.maxKeys ?? 100_000 });
  return {
    take(key: string): TakeResult {
      const time = now();
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: time };
      const tokens = Math.min(options.burst, bucket.tokens + ((time - bucket.at) / 1000) * options.perSecond);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, at: time });
        return { allowed: true };
      }
      buckets.set(key, { tokens, at: time });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / options.perSecond)) };
    },
  };
}

export type TokenBuckets = ReturnType<typeof createTokenBuckets>;
