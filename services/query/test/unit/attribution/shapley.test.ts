import { describe, expect, it } from "vitest";
import { computeModels, type DistinctPath, type ModelResult } from "../../../src/domain/attribution/index.js";
import { creditOf, path, randomPaths, unanimityShapley } from "./fixtures.js";

const keys = (count: number) => Array.from({ length: count }, (_, i) => `k${i}`);

function expectNear(result: ModelResult | undefined, expected: Map<string, number>, tolerance: number): void {
  for (const [key, value] of expected)
    expect(Math.abs(creditOf(result, key).conversions - value)).toBeLessThan(tolerance);
}

describe("exact shapley", () => {
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

  it("agree with the closed form on random paths over 12 keys", () => {
    const paths = randomPaths(5, { count: 300, keyCount: 12, maxLength: 6 });
    const [result] = computeModels(paths, ["shapley"]);
    expectNear(result, unanimityShapley(paths), 1e-9);
  });

  it("still run exactly over 20 keys", () => {
    const paths = randomPaths(6, { count: 500, keyCount: 20, maxLength: 5 });
    const [result] = computeModels(paths, ["shapley"], { shapleyExactMaxKeys: 20 });
    expect(result?.standardError).toBeUndefined();
    expectNear(result, unanimityShapley(paths), 1e-8);
  });
});

describe("sampled shapley", () => {
  it("give symmetric keys the same share within a few standard errors", () => {
    const ring = keys(18);
    const paths: DistinctPath[] = ring.map((key, i) => path(`${key}>${ring[(i + 1) % 18]}`, 1, 2));
    paths.push(path(ring.join(">"), 9, 18));
    const [result] = computeModels(paths, ["shapley"]);
    const standardError = result?.standardError ?? Number.NaN;
    expect(standardError).toBeGreaterThan(0);
    for (const key of ring) expect(Math.abs(creditOf(result, key).conversions - 1.5)).toBeLessThan(5 * standardError);
  });

  it("land near the exact values on 18 random keys", () => {
    const paths = randomPaths(7, { count: 400, keyCount: 18, maxLength: 6 });
    const [result] = computeModels(paths, ["shapley"]);
    expect(result?.standardError).toBeGreaterThan(0);
    expectNear(result, unanimityShapley(paths), 5 * (result?.standardError ?? 0));
    const total = paths.reduce((sum, p) => sum + p.conversions, 0);
    const credited = result?.credits.reduce((sum, c) => sum + c.conversions, 0) ?? 0;
    expect(Math.abs(credited - total) / total).toBeLessThan(1e-12);
  });

  it("agree with exact mode on 10 keys when the cut-off is lowered", () => {
    const paths = randomPaths(8, { count: 200, keyCount: 10, maxLength: 5 });
    const [exact] = computeModels(paths, ["shapley"]);
    const [sampled] = computeModels(paths, ["shapley"], { shapleyExactMaxKeys: 5, shapleySamples: 4000 });
    const exactValues = new Map(exact?.credits.map((c) => [c.key, c.conversions]));
    expectNear(sampled, exactValues, 5 * (sampled?.standardError ?? 0));
  });

  it("repeat exactly for a seed and change with another", () => {
    const paths = randomPaths(9, { count: 100, keyCount: 17, maxLength: 6 });
    const [first] = computeModels(paths, ["shapley"], { seed: 1 });
    const [again] = computeModels(paths, ["shapley"], { seed: 1 });
    const [other] = computeModels(paths, ["shapley"], { seed: 2 });
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });
});
