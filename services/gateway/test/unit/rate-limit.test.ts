import { describe, expect, it } from "vitest";
import { createTokenBuckets } from "../../src/domain/rate-limit.js";

describe("token buckets", () => {
  it("allow a burst, then refill at the rate, and tell when the next token comes", () => {
    let now = 1_000_000;
    const buckets = createTokenBuckets({ perSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => buckets.take("k").allowed)).toEqual([true, true, true]);
    expect(buckets.take("k")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 500; // one token at 2 a second
    expect(buckets.take("k").allowed).toBe(true);
    expect(buckets.take("k").allowed).toBe(false);
    now += 10_000; // never more than the burst
    expect([1, 2, 3, 4].map(() => buckets.take("k").allowed)).toEqual([true, true, true, false]);
  });

  it("keep one bucket per key", () => {
    const buckets = createTokenBuckets({ perSecond: 1, burst: 1, now: () => 0 });
    expect(buckets.take("a").allowed).toBe(true);
    expect(buckets.take("a").allowed).toBe(false);
    expect(buckets.take("b").allowed).toBe(true);
  });

  it("a slow rate asks for a longer wait", () => {
    const buckets = createTokenBuckets({ perSecond: 0.1, burst: 1, now: () => 0 });
    buckets.take("k");
    expect(buckets.take("k")).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });
});
