import { describe, expect, it } from "vitest";
import { mulberry32 } from "./fixtures.js";
import { type SparseRows, solveAbsorbing, solveDense, solveGaussSeidel, solverLimits } from "./linear-system.js";

/** A random sparse substochastic matrix: each row keeps some mass for absorption. */
function randomChain(size: number, seed: number): { q: SparseRows; b: Float64Array } {
  const random = mulberry32(seed);
  const rowStart = new Int32Array(size + 1);
  const column: number[] = [];
  const value: number[] = [];
  const b = new Float64Array(size);
  for (let row = 0; row < size; row++) {
    const targets = [...new Set(Array.from({ length: 4 }, () => Math.floor(random() * size)))];
    const weights = targets.map(() => random());
    const exit = 0.05 + random();
    const total = weights.reduce((a, w) => a + w, exit);
    targets.forEach((t, i) => {
      column.push(t);
      value.push((weights[i] as number) / total);
    });
    b[row] = (exit / total) * random();
    rowStart[row + 1] = column.length;
  }
  return { q: { size, rowStart, column: Int32Array.from(column), value: Float64Array.from(value) }, b };
}

describe("absorbing chain solvers", () => {
  it("solve a two-state system exactly", () => {
    // x0 = 0.5·x1 + 0.25, x1 = 0.5·x0 + 0.5 → x0 = 2/3, x1 = 5/6.
    const q: SparseRows = {
      size: 2,
      rowStart: Int32Array.of(0, 1, 2),
      column: Int32Array.of(1, 0),
      value: Float64Array.of(0.5, 0.5),
    };
    for (const solve of [solveDense, solveGaussSeidel]) {
      const [x] = solve(q, [Float64Array.of(0.25, 0.5)]);
      expect(x?.[0]).toBeCloseTo(2 / 3, 12);
      expect(x?.[1]).toBeCloseTo(5 / 6, 12);
    }
  });

  it("agree between dense elimination and Gauss–Seidel", () => {
    const { q, b } = randomChain(solverLimits.maxDenseSize + 100, 3);
    const [dense] = solveDense(q, [b]);
    const [iterative] = solveAbsorbing(q, [b]);
    for (let i = 0; i < q.size; i++) expect(Math.abs((dense?.[i] ?? 0) - (iterative?.[i] ?? 1))).toBeLessThan(1e-12);
  });
});
