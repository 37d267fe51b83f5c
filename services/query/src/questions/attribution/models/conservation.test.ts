import { describe, expect, it } from "vitest";
import { randomPaths } from "./fixtures.js";
import { computeModels, MODEL_NAMES, type ModelOptions } from "./index.js";

const cases: { name: string; seed: number; keyCount: number; options: Partial<ModelOptions> }[] = [
  { name: "few keys", seed: 1, keyCount: 4, options: {} },
  { name: "fraud weighted", seed: 2, keyCount: 7, options: { fraudWeighting: true } },
  { name: "order 2", seed: 3, keyCount: 6, options: { markovOrder: 2, positionFirstWeight: 0.1 } },
  { name: "order 3", seed: 4, keyCount: 9, options: { markovOrder: 3 } },
  { name: "order 4, fraud, 16 keys", seed: 5, keyCount: 16, options: { markovOrder: 4, fraudWeighting: true } },
  { name: "40 keys", seed: 6, keyCount: 40, options: {} },
];

describe("conservation", () => {
  for (const { name, seed, keyCount, options } of cases) {
    it(`credit every conversion and every unit of revenue exactly once (${name})`, () => {
      const paths = randomPaths(seed, { count: 120, keyCount, maxLength: 9 });
      const conversions = paths.reduce((sum, p) => sum + p.conversions, 0);
      const revenue = paths.reduce((sum, p) => sum + p.revenue, 0);
      for (const result of computeModels(paths, MODEL_NAMES, options)) {
        const credited = result.credits.reduce((sum, c) => sum + c.conversions + c.fraudRemovedConversions, 0);
        const creditedRevenue = result.credits.reduce((sum, c) => sum + c.revenue + c.fraudRemovedRevenue, 0);
        expect(Math.abs(credited - conversions) / conversions, result.model).toBeLessThan(1e-9);
        expect(Math.abs(creditedRevenue - revenue) / revenue, result.model).toBeLessThan(1e-9);
      }
    });
  }

  it("return empty credits when nothing converted", () => {
    const results = computeModels(
      [{ keys: ["a"], direct: [false], conversions: 0, revenue: 0, nulls: 3 }],
      MODEL_NAMES,
    );
    expect(results.map((r) => r.model)).toEqual([...MODEL_NAMES]);
    for (const result of results) expect(result.credits).toEqual([]);
  });
});
