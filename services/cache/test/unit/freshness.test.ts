import { describe, expect, it } from "vitest";
import { judge, staleGraceMs } from "../../src/domain/freshness.js";
import { createHistogram } from "../../src/domain/histogram.js";
import { createRecomputeTracker } from "../../src/domain/recompute.js";

const entry = { softExpiresAt: 10_000, hardExpiresAt: 12_000, computeMs: 200 };

describe("judging an entry", () => {
  it("is fresh well before expiry, stale within its grace, expired after", () => {
    expect(judge(entry, 1_000, 1, () => 0.5)).toBe("fresh");
    expect(judge(entry, 10_000, 1, () => 0.5)).toBe("stale");
    expect(judge(entry, 12_000, 1, () => 0.5)).toBe("expired");
  });

  it("asks for early recomputation more often the closer the expiry and the costlier the answer", () => {
    const early = (now: number, computeMs: number) => {
      let count = 0;
      for (let i = 0; i < 1_000; i++) {
        if (judge({ ...entry, computeMs }, now, 1, () => (i + 0.5) / 1_000) === "early") count++;
      }
      return count;
    };
    expect(early(5_000, 200)).toBe(0);
    expect(early(9_900, 200)).toBeGreaterThan(early(9_500, 200));
    expect(early(9_500, 400)).toBeGreaterThan(early(9_500, 200));
    expect(judge(entry, 9_999, 0, () => 0.999)).toBe("fresh");
    expect(judge({ ...entry, computeMs: 0 }, 9_999, 1, () => 0.999)).toBe("fresh");
  });

  it("grants a quarter of the TTL as grace, at most the configured maximum", () => {
    expect(staleGraceMs(60_000, 60)).toBe(15_000);
    expect(staleGraceMs(3_600_000, 60)).toBe(60_000);
    expect(staleGraceMs(60_000, 0)).toBe(0);
  });
});

describe("recompute tracker", () => {
  it("measures the cost from the miss to the set, and leases a key to one caller", () => {
    const tracker = createRecomputeTracker();
    tracker.missed("k", 1_000);
    expect(tracker.computed("k", 1_250)).toBe(250);
    expect(tracker.computed("k", 1_300)).toBe(0);
    expect(tracker.lease("k", 2_000, 100)).toBe(true);
    expect(tracker.lease("k", 2_500, 100)).toBe(false);
    expect(tracker.lease("k", 3_001, 100)).toBe(true);
    tracker.computed("k", 3_100);
    expect(tracker.lease("k", 3_100, 100)).toBe(true);
  });
});

describe("latency histogram", () => {
  it("counts into buckets and estimates quantiles", () => {
    const histogram = createHistogram([1, 2, 5]);
    for (let i = 0; i < 98; i++) histogram.observe(0.5);
    histogram.observe(3);
    histogram.observe(30);
    const snapshot = histogram.snapshot();
    expect(snapshot.counts).toEqual([98, 0, 1, 1]);
    expect(snapshot.count).toBe(100);
    expect(snapshot.p50Ms).toBeLessThanOrEqual(1);
    expect(snapshot.p99Ms).toBeGreaterThan(2);
  });
});
