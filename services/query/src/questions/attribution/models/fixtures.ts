import type { DistinctPath, KeyCredit, ModelResult } from "./index.js";

/** mulberry32: a small seeded generator of uniform numbers in [0, 1), so random fixtures repeat exactly. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A path from "A>B>C"; a touch is direct when its key is "direct". */
export function path(spec: string, conversions = 1, revenue = conversions, nulls = 0): DistinctPath {
  const keys = spec.split(">");
  return { keys, direct: keys.map((key) => key === "direct"), conversions, revenue, nulls };
}

/** A non-converting path seen `nulls` times. */
export function nullPath(spec: string, nulls = 1): DistinctPath {
  return path(spec, 0, 0, nulls);
}

export function creditOf(result: ModelResult | undefined, key: string): KeyCredit {
  const credit = result?.credits.find((c) => c.key === key);
  return credit ?? { key, conversions: 0, revenue: 0, fraudRemovedConversions: 0, fraudRemovedRevenue: 0 };
}

/** key → conversions, for comparing whole results. */
export function conversionsByKey(result: ModelResult | undefined): Record<string, number> {
  return Object.fromEntries((result?.credits ?? []).map((c) => [c.key, c.conversions]));
}

export interface RandomPathsShape {
  count: number;
  keyCount: number;
  maxLength: number;
}

/** Random but repeatable paths carrying every per-touch array, consistent with their totals. */
export function randomPaths(seed: number, shape: RandomPathsShape): DistinctPath[] {
  const random = mulberry32(seed);
  const int = (below: number) => Math.floor(random() * below);
  return Array.from({ length: shape.count }, () => {
    const length = 1 + int(shape.maxLength);
    const keys = Array.from({ length }, () => `k${int(shape.keyCount)}`);
    const conversions = int(4);
    const nulls = conversions === 0 ? 1 + int(3) : int(3);
    const revenue = (conversions * Math.round(random() * 10_000)) / 100;
    return withArrays(keys, conversions, revenue, nulls, random);
  });
}

function withArrays(
  keys: string[],
  conversions: number,
  revenue: number,
  nulls: number,
  random: () => number,
): DistinctPath {
  const raw = keys.map(() => 0.1 + random());
  const rawSum = raw.reduce((a, b) => a + b, 0);
  const share = raw.map((r) => r / rawSum);
  const clean = keys.map(() => (random() < 0.3 ? random() : 1));
  const decay = share.map((s) => s * conversions);
  const decayRevenue = share.map((s) => s * revenue);
  return {
    keys,
    direct: keys.map(() => random() < 0.2),
    conversions,
    revenue,
    nulls,
    decay,
    decayRevenue,
    fraudWeight: clean.map((w) => w * conversions),
    fraudWeightRevenue: clean.map((w) => w * revenue),
    decayFraud: decay.map((d, i) => d * (clean[i] as number)),
    decayFraudRevenue: decayRevenue.map((d, i) => d * (clean[i] as number)),
  };
}

/** Shapley value of this game in closed form: each key set's value split equally among its keys. */
export function unanimityShapley(paths: readonly DistinctPath[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const p of paths) {
    if (p.conversions === 0) continue;
    const set = new Set(p.keys);
    for (const key of set) values.set(key, (values.get(key) ?? 0) + p.conversions / set.size);
  }
  return values;
}
