import { describe, expect, it } from "vitest";
import { createSlidingWindowCounter } from "../../../src/enrich/velocity.js";

describe("sliding window counter", () => {
  it("counts events of one key within a window", () => {
    const counter = createSlidingWindowCounter(60_000, 10);
    expect([1, 2, 3].map((i) => counter.add("a", 1_000 * i))).toEqual([1, 2, 3]);
    expect(counter.add("b", 4_000)).toBe(1);
  });

  it("weights the previous window by how much of it the sliding window still covers", () => {
    const counter = createSlidingWindowCounter(60_000, 10);
    for (const t of [50_000, 55_000, 58_000]) counter.add("a", t);
    expect(counter.add("a", 75_000)).toBeCloseTo(3 * 0.75 + 1, 10);
    expect(counter.add("a", 119_999)).toBeCloseTo(3 * (1 / 60_000) + 2, 10);
  });

  it("forgets counts older than one window", () => {
    const counter = createSlidingWindowCounter(60_000, 10);
    for (const t of [1_000, 2_000, 3_000]) counter.add("a", t);
    expect(counter.add("a", 130_000)).toBe(1);
  });

  it("counts a late event in the previous window and judges it with both windows", () => {
    const counter = createSlidingWindowCounter(60_000, 10);
    counter.add("a", 70_000);
    expect(counter.add("a", 50_000)).toBe(2);
    expect(counter.add("a", 1_000 - 60_000)).toBe(2);
  });

  it("tracks at most maxEntries keys, forgetting the least recently seen", () => {
    const counter = createSlidingWindowCounter(60_000, 2);
    counter.add("a", 1_000);
    counter.add("b", 1_000);
    counter.add("a", 2_000);
    counter.add("c", 2_000);
    expect(counter.add("a", 3_000)).toBe(3);
    expect(counter.add("b", 3_000)).toBe(1);
  });
});
