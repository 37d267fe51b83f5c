import { describe, expect, it } from "vitest";
import { creditOf, path, randomPaths, unanimityShapley } from "./fixtures.js";
import { computeModels, type DistinctPath, type ModelResult } from "./index.js";

function expectNear(result: ModelResult | undefined, expected: Map<string, number>, tolerance: number): void {
  for (const [key, value] of expected)
    expect(Math.abs(creditOf(result, key).conversions - value)).toBeLessThan(tolerance);
}

interface BruteForce {
  conversions: Map<string, number>;
  revenue: Map<string, number>;
}

/**
 * Shapley values straight from the definition, over every key on any path (so keys seen only on
 * non-converting paths are null players): φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)),
 * with v(S) = Σ of the converting paths whose key set lies inside S. O(2^n · n · paths).
 */
function bruteForceShapley(paths: readonly DistinctPath[]): BruteForce {
  const players = [...new Set(paths.flatMap((p) => p.keys))];
  const n = players.length;
  const bit = new Map(players.map((key, i) => [key, 1 << i]));
  const masks = paths.map((p) => p.keys.reduce((mask, key) => mask | (bit.get(key) as number), 0));
  const value = (coalition: number, field: "conversions" | "revenue") =>
    paths.reduce((sum, p, i) => ((masks[i] as number) & ~coalition ? sum : sum + p[field]), 0);
  const factorial = [1];
  for (let i = 1; i <= n; i++) factorial.push((factorial[i - 1] as number) * i);
  const result: BruteForce = { conversions: new Map(), revenue: new Map() };
  players.forEach((key, i) => {
    const own = 1 << i;
    let conversions = 0;
    let revenue = 0;
    for (let coalition = 0; coalition < 1 << n; coalition++) {
      if (coalition & own) continue;
      let size = 0;
      for (let m = coalition; m; m &= m - 1) size++;
      const weight = ((factorial[size] as number) * (factorial[n - size - 1] as number)) / (factorial[n] as number);
      conversions += weight * (value(coalition | own, "conversions") - value(coalition, "conversions"));
      revenue += weight * (value(coalition | own, "revenue") - value(coalition, "revenue"));
    }
    result.conversions.set(key, conversions);
    result.revenue.set(key, revenue);
  });
  return result;
}

describe("shapley", () => {
  it("match eeghor/mta's examples", () => {
    const [two] = computeModels([path("a", 4), path("a>b", 6)], ["shapley"]);
    expect(creditOf(two, "a").conversions).toBeCloseTo(7, 12);
    expect(creditOf(two, "b").conversions).toBeCloseTo(3, 12);
    expect(two?.standardError).toBeUndefined();
    const [four] = computeModels([path("a>b>c>d", 10)], ["shapley"]);
    for (const key of ["a", "b", "c", "d"]) expect(creditOf(four, key).conversions).toBeCloseTo(2.5, 12);
  });

  it("value a coalition by the key set, not the order or repeats", () => {
    const [result] = computeModels([path("a>b>a", 2, 20), path("b>a", 2, 40)], ["shapley"]);
    expect(creditOf(result, "a")).toMatchObject({ conversions: 2, revenue: 30 });
    expect(creditOf(result, "b")).toMatchObject({ conversions: 2, revenue: 30 });
  });

  it("ignore keys seen only on non-converting paths", () => {
    const [result] = computeModels([path("a>b"), path("c", 0, 0, 9)], ["shapley"]);
    expect(result?.credits.map((c) => c.key)).toEqual(["a", "b"]);
  });

  it.each([
    [11, 3],
    [12, 5],
    [13, 7],
    [14, 9],
    [15, 10],
    [16, 10],
  ])("equal the brute-force definition on random paths (seed %i, %i keys)", (seed, keyCount) => {
    const paths = randomPaths(seed, { count: 60, keyCount, maxLength: 6 });
    paths.push(path("only_null>k0", 0, 0, 4));
    const expected = bruteForceShapley(paths);
    expect(expected.conversions.size).toBeGreaterThan(1);
    const [result] = computeModels(paths, ["shapley"]);
    for (const [key, conversions] of expected.conversions) {
      const credit = creditOf(result, key);
      expect(credit.conversions, key).toBeCloseTo(conversions, 9);
      expect(credit.revenue, key).toBeCloseTo(expected.revenue.get(key) as number, 7);
    }
    expect(creditOf(result, "only_null").conversions).toBe(0);
  });

  it("be exact over 40 keys", () => {
    const ring = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const paths: DistinctPath[] = [
      path(ring.join(">"), 80, 800),
      path([...ring].reverse().join(">"), 40, 120),
      ...Array.from({ length: 20 }, (_, i) => path(`${ring[2 * i]}>${ring[2 * i + 1]}`, 3, 6)),
      path("k0", 5, 50),
      path("z>k1", 0, 0, 7),
    ];
    // Whole set: (80 + 40) / 40 = 3 each, revenue (800 + 120) / 40 = 23; each pair: 1.5 and 3 each;
    // k0 alone: 5 and 50.
    const [result] = computeModels(paths, ["shapley"]);
    expect(result?.standardError).toBeUndefined();
    expect(creditOf(result, "k0")).toMatchObject({ conversions: 9.5, revenue: 76 });
    for (const key of ring.slice(1)) expect(creditOf(result, key)).toMatchObject({ conversions: 4.5, revenue: 26 });
    expect(creditOf(result, "z").conversions).toBe(0);
    const credited = result?.credits.reduce((sum, c) => sum + c.conversions, 0);
    const creditedRevenue = result?.credits.reduce((sum, c) => sum + c.revenue, 0);
    expect(credited).toBe(185);
    expect(creditedRevenue).toBe(1090);
  });

  it("agree with the closed form on random paths over 40 keys and conserve the total", () => {
    const paths = randomPaths(6, { count: 500, keyCount: 40, maxLength: 12 });
    const [result] = computeModels(paths, ["shapley"]);
    expectNear(result, unanimityShapley(paths), 1e-9);
    const total = paths.reduce((sum, p) => sum + p.conversions, 0);
    const credited = result?.credits.reduce((sum, c) => sum + c.conversions, 0) ?? 0;
    expect(Math.abs(credited - total) / total).toBeLessThan(1e-12);
  });
});
