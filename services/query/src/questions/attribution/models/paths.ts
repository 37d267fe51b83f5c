import type { DistinctPath } from "./types.js";

export interface IndexedPath {
  source: DistinctPath;
  /** Position in the caller's array, for error messages. */
  index: number;
  /** Key index of each touch, oldest first. */
  touches: Int32Array;
}

export interface IndexedPaths {
  /** Key index → key. */
  keys: string[];
  paths: IndexedPath[];
  totalConversions: number;
  totalRevenue: number;
}

type PerTouchField =
  | "decay"
  | "decayRevenue"
  | "fraudWeight"
  | "fraudWeightRevenue"
  | "decayFraud"
  | "decayFraudRevenue";

const perTouchFields: readonly PerTouchField[] = [
  "decay",
  "decayRevenue",
  "fraudWeight",
  "fraudWeightRevenue",
  "decayFraud",
  "decayFraudRevenue",
];

/** Validates the paths and numbers their keys, so the models work on small integers. */
export function indexPaths(paths: readonly DistinctPath[]): IndexedPaths {
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  const indexed: IndexedPath[] = [];
  let totalConversions = 0;
  let totalRevenue = 0;
  paths.forEach((path, index) => {
    validatePath(path, index);
    const touches = new Int32Array(path.keys.length);
    for (let position = 0; position < touches.length; position++) {
      const key = path.keys[position] as string;
      let id = keyIndex.get(key);
      if (id === undefined) {
        id = keys.length;
        keyIndex.set(key, id);
        keys.push(key);
      }
      touches[position] = id;
    }
    indexed.push({ source: path, index, touches });
    totalConversions += path.conversions;
    totalRevenue += path.revenue;
  });
  return { keys, paths: indexed, totalConversions, totalRevenue };
}

/** A per-touch array that a model needs on a converting path; its absence is an input error. */
export function requireTouchArray(path: IndexedPath, field: PerTouchField): number[] {
  const values = path.source[field];
  if (values === undefined) {
    throw new RangeError(`paths[${path.index}] converts but has no ${field} array`);
  }
  return values;
}

function validatePath(path: DistinctPath, index: number): void {
  const where = `paths[${index}]`;
  if (!Array.isArray(path.keys) || path.keys.length === 0) throw new RangeError(`${where}.keys must not be empty`);
  if (!Array.isArray(path.direct) || path.direct.length !== path.keys.length) {
    throw new RangeError(`${where}.direct must have one entry per key`);
  }
  requireNonNegative(`${where}.conversions`, path.conversions);
  requireNonNegative(`${where}.revenue`, path.revenue);
  requireNonNegative(`${where}.nulls`, path.nulls);
  if (path.conversions === 0 && path.revenue !== 0) {
    throw new RangeError(`${where} has revenue but no conversions`);
  }
  for (const field of perTouchFields) {
    const values = path[field];
    if (values === undefined) continue;
    if (values.length !== path.keys.length) throw new RangeError(`${where}.${field} must have one entry per key`);
    if (!values.every(Number.isFinite)) throw new RangeError(`${where}.${field} must hold finite numbers`);
  }
}

function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
}
