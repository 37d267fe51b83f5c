import { describe, expect, it } from "vitest";
import { conversionsByKey, creditOf, nullPath, path, randomPaths } from "./fixtures.js";
import { computeModels, markovRemovalEffects } from "./index.js";
import { solverLimits } from "./linear-system.js";
import { collapseRepeats } from "./markov.js";

function effects(paths: Parameters<typeof markovRemovalEffects>[0], order = 1): Record<string, number> {
  return Object.fromEntries(markovRemovalEffects(paths, order));
}

describe("markov removal effects", () => {
  it("match ChannelAttribution's documented example", () => {
    const paths = [path("A>B>A>B>B>A"), path("A>B>B>A>A"), path("A>A")];
    const removal = effects(paths);
    expect(removal.A).toBeCloseTo(1, 12);
    expect(removal.B).toBeCloseTo(0.5, 12);
    const [markov] = computeModels(paths, ["markov"]);
    expect(creditOf(markov, "A").conversions).toBeCloseTo(2, 12);
    expect(creditOf(markov, "B").conversions).toBeCloseTo(1, 12);
  });

  it("match the analyzecore example with non-converting paths", () => {
    const paths = [path("C1>C2>C3"), nullPath("C1"), nullPath("C2>C3")];
    const removal = effects(paths);
    expect(removal.C1).toBeCloseTo(0.5, 12);
    expect(removal.C2).toBeCloseTo(1, 12);
    expect(removal.C3).toBeCloseTo(1, 12);
    const [markov] = computeModels(paths, ["markov"]);
    expect(creditOf(markov, "C1").conversions).toBeCloseTo(0.2, 12);
    expect(creditOf(markov, "C2").conversions).toBeCloseTo(0.4, 12);
    expect(creditOf(markov, "C3").conversions).toBeCloseTo(0.4, 12);
  });

  it("count a path with both conversions and nulls on both sides", () => {
    const together = effects([path("A>B", 1, 1, 1), path("B")]);
    const apart = effects([path("A>B"), nullPath("A>B"), path("B")]);
    expect(together.A).toBeCloseTo(apart.A as number, 12);
    expect(together.B).toBeCloseTo(apart.B as number, 12);
  });

  it("give every key zero when nothing converts", () => {
    const [markov] = computeModels([nullPath("A>B", 3)], ["markov"]);
    expect(markov?.credits).toEqual([]);
    expect(effects([nullPath("A>B", 3)])).toEqual({ A: 0, B: 0 });
  });
});

describe("markov order 2", () => {
  // Order 1 forgets where C was reached from; order 2 sees that only A>C converts.
  const paths = [path("A>C", 1, 10), nullPath("B>C")];

  it("credit keys by the memory of the previous key", () => {
    const removal = effects(paths, 2);
    expect(removal.A).toBeCloseTo(1, 12);
    expect(removal.B).toBeCloseTo(0, 12);
    expect(removal.C).toBeCloseTo(1, 12);
    const [markov] = computeModels(paths, ["markov"], { markovOrder: 2 });
    expect(conversionsByKey(markov)).toEqual({ A: 0.5, C: 0.5 });
    expect(creditOf(markov, "A").revenue).toBeCloseTo(5, 12);
  });

  it("differ from order 1 on the same paths", () => {
    const removal = effects(paths, 1);
    expect(removal.A).toBeCloseTo(0.5, 12);
    expect(removal.B).toBeCloseTo(0.5, 12);
    const [markov] = computeModels(paths, ["markov"]);
    expect(creditOf(markov, "A").conversions).toBeCloseTo(0.25, 12);
    expect(creditOf(markov, "B").conversions).toBeCloseTo(0.25, 12);
    expect(creditOf(markov, "C").conversions).toBeCloseTo(0.5, 12);
  });

  it("solve a chain with a loop exactly", () => {
    // States (A,B) and (B,A) form a loop: x(A,B) = 3/5 + 2/5·x(B,A), x(B,A) = 1/2·x(A,B), so
    // x(A,B) = 3/4 and P(conversion) = 3/4. Without C only start→(A) is left: 3/4 · 3/4 = 9/16.
    const loop = [path("A>B>A>B"), nullPath("A>B>A"), path("A>B"), path("C>A>B")];
    const removal = effects(loop, 2);
    expect(removal.A).toBeCloseTo(1, 12);
    expect(removal.B).toBeCloseTo(1, 12);
    expect(removal.C).toBeCloseTo(0.25, 12);
    const [markov] = computeModels(loop, ["markov"], { markovOrder: 2 });
    expect(creditOf(markov, "A").conversions).toBeCloseTo(4 / 3, 12);
    expect(creditOf(markov, "B").conversions).toBeCloseTo(4 / 3, 12);
    expect(creditOf(markov, "C").conversions).toBeCloseTo(1 / 3, 12);
  });
});

describe("markov details", () => {
  it("collapse repeated keys before building the chain", () => {
    expect(Array.from(collapseRepeats(Int32Array.of(1, 1, 2, 2, 2, 1)))).toEqual([1, 2, 1]);
    const repeated = [path("A>A>B>B>C", 2, 30), nullPath("A>C>C", 3), nullPath("B>B")];
    const collapsed = [path("A>B>C", 2, 30), nullPath("A>C", 3), nullPath("B")];
    for (const markovOrder of [1, 2, 3]) {
      expect(effects(repeated, markovOrder)).toEqual(effects(collapsed, markovOrder));
      const [a] = computeModels(repeated, ["markov"], { markovOrder });
      const [b] = computeModels(collapsed, ["markov"], { markovOrder });
      expect(a).toEqual(b);
    }
  });

  it("weight revenue by the value of the conversions each state leads to", () => {
    const [markov] = computeModels([path("A", 1, 10), path("B", 1, 30)], ["markov"]);
    expect(creditOf(markov, "A")).toMatchObject({ conversions: 0.5 * 2 });
    expect(creditOf(markov, "A").revenue).toBeCloseTo(10, 12);
    expect(creditOf(markov, "B").revenue).toBeCloseTo(30, 12);
  });

  it("give the same answer from the iterative solver as from dense elimination", () => {
    const paths = randomPaths(11, { count: 150, keyCount: 12, maxLength: 8 });
    for (const order of [1, 2, 3]) {
      const dense = markovRemovalEffects(paths, order);
      const maxDenseSize = solverLimits.maxDenseSize;
      solverLimits.maxDenseSize = 0;
      try {
        const iterative = markovRemovalEffects(paths, order);
        for (const [key, value] of dense) expect(iterative.get(key)).toBeCloseTo(value, 10);
      } finally {
        solverLimits.maxDenseSize = maxDenseSize;
      }
    }
  });

  it("conserve conversions on a chain too large for dense elimination", () => {
    const paths = randomPaths(12, { count: 400, keyCount: 30, maxLength: 8 });
    const [markov] = computeModels(paths, ["markov"], { markovOrder: 4 });
    const total = paths.reduce((sum, p) => sum + p.conversions, 0);
    const credited = markov?.credits.reduce((sum, c) => sum + c.conversions, 0) ?? 0;
    expect(credited).toBeCloseTo(total, 9);
    for (const value of markovRemovalEffects(paths, 4).values()) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it("reject an order outside 1..4", () => {
    expect(() => markovRemovalEffects([path("A")], 0)).toThrow(RangeError);
  });
});
