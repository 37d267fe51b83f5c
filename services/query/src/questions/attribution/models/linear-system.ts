/**
 * Solvers for x = Q·x + b where Q is the sparse, row-substochastic transition matrix among the
 * transient states of an absorbing Markov chain (so I − Q is non-singular).
 */
export interface SparseRows {
  size: number;
  /** Row r's entries are at rowStart[r] .. rowStart[r + 1] − 1. */
  rowStart: Int32Array;
  column: Int32Array;
  value: Float64Array;
}

export const solverLimits = {
  /** Up to this many states the system is solved by dense elimination, beyond by Gauss–Seidel. */
  maxDenseSize: 600,
  tolerance: 1e-13,
  maxSweeps: 100_000,
};

/** Solves x = Q·x + b for each right-hand side b. */
export function solveAbsorbing(q: SparseRows, rhs: readonly Float64Array[]): Float64Array[] {
  return q.size <= solverLimits.maxDenseSize ? solveDense(q, rhs) : solveGaussSeidel(q, rhs);
}

/** Gaussian elimination with partial pivoting on (I − Q)·x = b. */
export function solveDense(q: SparseRows, rhs: readonly Float64Array[]): Float64Array[] {
  const n = q.size;
  const a = identityMinus(q);
  const b = rhs.map((column) => Float64Array.from(column));
  for (let k = 0; k < n; k++) {
    swapRows(a, b, n, k, pivotRow(a, n, k));
    eliminateBelow(a, b, n, k);
  }
  return b.map((column) => backSubstitute(a, column, n));
}

/**
 * Gauss–Seidel sweeps from the last row to the first. The sweep stops once no value moved by
 * more than the tolerance: since every row of Q sums to at most 1, the residual is then below it too.
 */
export function solveGaussSeidel(q: SparseRows, rhs: readonly Float64Array[]): Float64Array[] {
  const x = rhs.map((column) => Float64Array.from(column));
  for (let sweep = 0; sweep < solverLimits.maxSweeps; sweep++) {
    let moved = 0;
    for (const [c, column] of x.entries()) moved = Math.max(moved, sweepOnce(q, rhs[c] as Float64Array, column));
    if (moved < solverLimits.tolerance) return x;
  }
  throw new Error(`Gauss–Seidel did not converge within ${solverLimits.maxSweeps} sweeps`);
}

function sweepOnce(q: SparseRows, b: Float64Array, x: Float64Array): number {
  let moved = 0;
  for (let row = q.size - 1; row >= 0; row--) {
    let value = b[row] as number;
    const end = q.rowStart[row + 1] as number;
    for (let e = q.rowStart[row] as number; e < end; e++) {
      value += (q.value[e] as number) * (x[q.column[e] as number] as number);
    }
    moved = Math.max(moved, Math.abs(value - (x[row] as number)));
    x[row] = value;
  }
  return moved;
}

function identityMinus(q: SparseRows): Float64Array {
  const n = q.size;
  const a = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    a[row * n + row] = 1;
    const end = q.rowStart[row + 1] as number;
    for (let e = q.rowStart[row] as number; e < end; e++) {
      const at = row * n + (q.column[e] as number);
      a[at] = (a[at] as number) - (q.value[e] as number);
    }
  }
  return a;
}

function pivotRow(a: Float64Array, n: number, k: number): number {
  let best = k;
  let bestSize = Math.abs(a[k * n + k] as number);
  for (let row = k + 1; row < n; row++) {
    const size = Math.abs(a[row * n + k] as number);
    if (size > bestSize) {
      best = row;
      bestSize = size;
    }
  }
  if (bestSize === 0) throw new Error("the absorbing chain's linear system is singular");
  return best;
}

function swapRows(a: Float64Array, b: Float64Array[], n: number, k: number, other: number): void {
  if (other === k) return;
  // Columns left of k are already zero in both rows.
  for (let col = k; col < n; col++) {
    const held = a[k * n + col] as number;
    a[k * n + col] = a[other * n + col] as number;
    a[other * n + col] = held;
  }
  for (const column of b) {
    const held = column[k] as number;
    column[k] = column[other] as number;
    column[other] = held;
  }
}

function eliminateBelow(a: Float64Array, b: Float64Array[], n: number, k: number): void {
  const pivot = a[k * n + k] as number;
  for (let row = k + 1; row < n; row++) {
    const factor = (a[row * n + k] as number) / pivot;
    if (factor === 0) continue;
    a[row * n + k] = 0;
    for (let col = k + 1; col < n; col++) {
      a[row * n + col] = (a[row * n + col] as number) - factor * (a[k * n + col] as number);
    }
    for (const column of b) column[row] = (column[row] as number) - factor * (column[k] as number);
  }
}

function backSubstitute(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let row = n - 1; row >= 0; row--) {
    let value = b[row] as number;
    for (let col = row + 1; col < n; col++) value -= (a[row * n + col] as number) * (x[col] as number);
    x[row] = value / (a[row * n + row] as number);
  }
  return x;
}
