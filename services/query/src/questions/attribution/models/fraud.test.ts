import { describe, expect, it } from "vitest";
import { creditOf, path, randomPaths } from "./fixtures.js";
import { computeModels, type DistinctPath, MODEL_NAMES } from "./index.js";

// Two conversions worth 20 in total; B's touch is half fraudulent.
const halfFraud: DistinctPath = {
  ...path("A>B", 2, 20),
  decay: [0.5, 1.5],
  decayRevenue: [5, 15],
  fraudWeight: [2, 1],
  fraudWeightRevenue: [20, 10],
  decayFraud: [0.5, 0.75],
  decayFraudRevenue: [5, 7.5],
};

describe("fraud weighting", () => {
  it("move a touch's fraudulent share to the removed columns", () => {
    const [last, linear, decay] = computeModels([halfFraud], ["last_touch", "linear", "time_decay"], {
      fraudWeighting: true,
    });
    expect(creditOf(last, "B")).toEqual({
      key: "B",
      conversions: 1,
      revenue: 10,
      fraudRemovedConversions: 1,
      fraudRemovedRevenue: 10,
    });
    expect(creditOf(linear, "A")).toMatchObject({ conversions: 1, fraudRemovedConversions: 0 });
    expect(creditOf(linear, "B")).toMatchObject({ conversions: 0.5, fraudRemovedConversions: 0.5 });
    expect(creditOf(decay, "B")).toMatchObject({ conversions: 0.75, fraudRemovedConversions: 0.75 });
    expect(creditOf(decay, "B")).toMatchObject({ revenue: 7.5, fraudRemovedRevenue: 7.5 });
  });

  it("scale per-key model credit by the key's kept ratio", () => {
    const [markov, shapley] = computeModels([halfFraud], ["markov", "shapley"], { fraudWeighting: true });
    for (const result of [markov, shapley]) {
      expect(creditOf(result, "A").conversions).toBeCloseTo(1, 12);
      expect(creditOf(result, "B").conversions).toBeCloseTo(0.5, 12);
      expect(creditOf(result, "B").fraudRemovedConversions).toBeCloseTo(0.5, 12);
      expect(creditOf(result, "B").fraudRemovedRevenue).toBeCloseTo(5, 12);
    }
  });

  it("keep plus remove exactly the unweighted credit in every model", () => {
    const paths = randomPaths(21, { count: 150, keyCount: 8, maxLength: 7 });
    const plain = computeModels(paths, MODEL_NAMES);
    const weighted = computeModels(paths, MODEL_NAMES, { fraudWeighting: true });
    plain.forEach((result, m) => {
      for (const credit of result.credits) {
        const split = creditOf(weighted[m], credit.key);
        expect(split.conversions + split.fraudRemovedConversions).toBeCloseTo(credit.conversions, 9);
        expect(split.revenue + split.fraudRemovedRevenue).toBeCloseTo(credit.revenue, 7);
      }
    });
  });

  it("refuse converting paths without fraud weights", () => {
    expect(() => computeModels([path("A>B")], ["linear"], { fraudWeighting: true })).toThrow(RangeError);
    expect(() => computeModels([path("A>B")], ["markov"], { fraudWeighting: true })).toThrow(/fraudWeight/);
    const withoutDecayFraud = { ...halfFraud, decayFraud: undefined, decayFraudRevenue: undefined };
    expect(() => computeModels([withoutDecayFraud], ["time_decay"], { fraudWeighting: true })).toThrow(/decayFraud/);
  });

  it("need no weights on non-converting paths", () => {
    const [linear] = computeModels([halfFraud, path("A>C", 0, 0, 4)], ["linear"], { fraudWeighting: true });
    expect(creditOf(linear, "C").conversions).toBe(0);
  });
});
