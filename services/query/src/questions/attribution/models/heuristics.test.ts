import { describe, expect, it } from "vitest";
import { conversionsByKey, creditOf, path } from "./fixtures.js";
import { computeModels, type DistinctPath } from "./index.js";

// eeghor/mta's heuristics example.
const mta = [path("direct", 2), path("search>email", 3), path("search>social>email", 5)];

describe("rule-based attribution", () => {
  it("credit the first touch", () => {
    const [first] = computeModels(mta, ["first_touch"]);
    expect(conversionsByKey(first)).toEqual({ direct: 2, search: 8 });
  });

  it("credit the last touch", () => {
    const [last] = computeModels(mta, ["last_touch"]);
    expect(conversionsByKey(last)).toEqual({ direct: 2, email: 8 });
  });

  it("share each conversion equally over the touches", () => {
    const [linear] = computeModels(mta, ["linear"]);
    expect(creditOf(linear, "direct").conversions).toBeCloseTo(2, 12);
    expect(creditOf(linear, "search").conversions).toBeCloseTo(19 / 6, 12);
    expect(creditOf(linear, "email").conversions).toBeCloseTo(19 / 6, 12);
    expect(creditOf(linear, "social").conversions).toBeCloseTo(5 / 3, 12);
  });

  it("credit revenue with the same fractions as conversions", () => {
    const [linear] = computeModels([path("a>b>c", 2, 90)], ["linear"]);
    expect(creditOf(linear, "a").revenue).toBeCloseTo(30, 12);
    expect(creditOf(linear, "c").conversions).toBeCloseTo(2 / 3, 12);
  });

  it("sort by conversions descending, then by key", () => {
    const [linear] = computeModels([path("b>a", 1), path("c", 3)], ["linear"]);
    expect(linear?.credits.map((c) => c.key)).toEqual(["c", "a", "b"]);
  });

  it("skip non-converting paths", () => {
    const [first] = computeModels([path("a"), { ...path("b", 0, 0, 4) }], ["first_touch"]);
    expect(conversionsByKey(first)).toEqual({ a: 1 });
  });
});

describe("position based", () => {
  it("give 40% to each end and share 20% over the middle", () => {
    const [result] = computeModels([path("a>b>c>d", 10, 100)], ["position_based"]);
    expect(creditOf(result, "a").conversions).toBeCloseTo(4, 12);
    expect(creditOf(result, "b").conversions).toBeCloseTo(1, 12);
    expect(creditOf(result, "c").conversions).toBeCloseTo(1, 12);
    expect(creditOf(result, "d").conversions).toBeCloseTo(4, 12);
    expect(creditOf(result, "d").revenue).toBeCloseTo(40, 12);
  });

  it("split two touches 50/50, whatever the end weights", () => {
    const [even] = computeModels([path("a>b", 10)], ["position_based"]);
    expect(conversionsByKey(even)).toEqual({ a: 5, b: 5 });
    for (const [positionFirstWeight, positionLastWeight] of [
      [0.3, 0.5],
      [0.1, 0],
      [0, 0],
      [1, 0],
    ] as const) {
      const [skewed] = computeModels([path("a>b", 8, 80)], ["position_based"], {
        positionFirstWeight,
        positionLastWeight,
      });
      expect(conversionsByKey(skewed), `${positionFirstWeight}/${positionLastWeight}`).toEqual({ a: 4, b: 4 });
      expect(creditOf(skewed, "b").revenue).toBe(40);
    }
  });

  it("honour custom weights with a middle", () => {
    const [result] = computeModels([path("a>b>c", 10)], ["position_based"], {
      positionFirstWeight: 0.3,
      positionLastWeight: 0.5,
    });
    expect(creditOf(result, "a").conversions).toBeCloseTo(3, 12);
    expect(creditOf(result, "b").conversions).toBeCloseTo(2, 12);
    expect(creditOf(result, "c").conversions).toBeCloseTo(5, 12);
  });

  it("give a single touch everything and add up repeated keys", () => {
    const [result] = computeModels([path("a", 2), path("a>b>a", 1)], ["position_based"]);
    expect(creditOf(result, "a").conversions).toBeCloseTo(2.8, 12);
    expect(creditOf(result, "b").conversions).toBeCloseTo(0.2, 12);
  });
});

describe("last non-direct", () => {
  it("skip direct touches at the end", () => {
    const [result] = computeModels([path("google>direct>direct", 3)], ["last_non_direct"]);
    expect(conversionsByKey(result)).toEqual({ google: 3 });
  });

  it("credit the last touch when direct sits in the middle", () => {
    const [result] = computeModels([path("google>direct>email")], ["last_non_direct"]);
    expect(conversionsByKey(result)).toEqual({ email: 1 });
  });

  it("fall back to the last touch when every touch is direct", () => {
    const allDirect: DistinctPath = { ...path("x>y"), direct: [true, true] };
    const [result] = computeModels([allDirect], ["last_non_direct"]);
    expect(conversionsByKey(result)).toEqual({ y: 1 });
  });
});

describe("time decay", () => {
  it("sum the supplied per-touch decay weights", () => {
    const paths: DistinctPath[] = [
      { ...path("a>b", 2, 50), decay: [0.5, 1.5], decayRevenue: [10, 40] },
      { ...path("b>c", 1, 10), decay: [0.25, 0.75], decayRevenue: [2.5, 7.5] },
      nullPathWithoutArrays(),
    ];
    const [result] = computeModels(paths, ["time_decay"]);
    expect(creditOf(result, "a")).toMatchObject({ conversions: 0.5, revenue: 10 });
    expect(creditOf(result, "b")).toMatchObject({ conversions: 1.75, revenue: 42.5 });
    expect(creditOf(result, "c")).toMatchObject({ conversions: 0.75, revenue: 7.5 });
  });

  it("refuse a converting path without decay weights", () => {
    expect(() => computeModels([path("a>b")], ["time_decay"])).toThrow(/paths\[0\] converts but has no decay/);
  });
});

function nullPathWithoutArrays(): DistinctPath {
  return path("a>c", 0, 0, 5);
}
