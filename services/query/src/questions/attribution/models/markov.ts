import { type SparseRows, solveAbsorbing } from "./linear-system.js";
import { resolveOptions } from "./options.js";
import { type IndexedPath, type IndexedPaths, indexPaths } from "./paths.js";
import type { DistinctPath } from "./types.js";

/**
 * The journeys as an absorbing Markov chain. Transient state 0 is (start); every other transient
 * state is the tuple of the last ≤ order keys. (conversion) and (null) are kept as per-state sums.
 */
interface Chain {
  stateCount: number;
  successors: Int32Array[];
  probabilities: Float64Array[];
  /** Probability of absorbing into (conversion) in one step. */
  conversionStep: Float64Array;
  /** The same step weighted by the mean conversion value arriving from the state, scaled to ≤ 1. */
  valueStep: Float64Array;
  /** Per key index, the states whose tuple holds that key. */
  statesWithKey: number[][];
}

export interface RemovalEffects {
  conversions: Float64Array;
  revenue: Float64Array;
}

/** Per-key Markov credit by removal effect, as ChannelAttribution's markov_model computes it. */
export function computeMarkovCredits(
  indexed: IndexedPaths,
  order: number,
): { conversions: Float64Array; revenue: Float64Array } {
  const effects = removalEffects(indexed, order);
  return {
    conversions: shareOut(indexed.totalConversions, effects.conversions),
    revenue: shareOut(indexed.totalRevenue, effects.revenue),
  };
}

/** Removal effect of each key on the conversion probability, keyed by the paths' keys. */
export function markovRemovalEffects(paths: readonly DistinctPath[], order = 1): Map<string, number> {
  const { markovOrder } = resolveOptions({ markovOrder: order });
  const indexed = indexPaths(paths);
  const effects = removalEffects(indexed, markovOrder);
  return new Map(indexed.keys.map((key, i) => [key, effects.conversions[i] as number]));
}

export function removalEffects(indexed: IndexedPaths, order: number): RemovalEffects {
  const keyCount = indexed.keys.length;
  const chain = buildChain(indexed, order);
  const full = absorb(chain, undefined);
  const conversions = new Float64Array(keyCount);
  const revenue = new Float64Array(keyCount);
  for (let key = 0; key < keyCount; key++) {
    const without = absorb(chain, chain.statesWithKey[key] ?? []);
    conversions[key] = effect(full.conversion, without.conversion);
    revenue[key] = effect(full.value, without.value);
  }
  return { conversions, revenue };
}

function effect(full: number, without: number): number {
  // Removing a key can only lower absorption; rounding may leave a hair below zero.
  return full > 0 ? Math.max(0, 1 - without / full) : 0;
}

function shareOut(total: number, effects: Float64Array): Float64Array {
  const sum = effects.reduce((acc, value) => acc + value, 0);
  return effects.map((value) => (sum > 0 ? (total * value) / sum : 0));
}

/** Consecutive repeats of the same key are one visit to that state. */
export function collapseRepeats(touches: Int32Array): Int32Array {
  return touches.filter((key, i) => i === 0 || key !== touches[i - 1]);
}

interface ChainCounts {
  stateIds: Map<number | string, number>;
  stateKeys: Int32Array[];
  edges: Map<number, number>[];
  toConversion: number[];
  toNull: number[];
  revenueIn: number[];
}

function buildChain(indexed: IndexedPaths, order: number): Chain {
  const counts: ChainCounts = {
    stateIds: new Map(),
    stateKeys: [new Int32Array(0)],
    edges: [new Map()],
    toConversion: [0],
    toNull: [0],
    revenueIn: [0],
  };
  for (const path of indexed.paths) countPath(counts, path, order);
  return finishChain(counts, indexed.keys.length);
}

function countPath(counts: ChainCounts, path: IndexedPath, order: number): void {
  const { conversions, nulls, revenue } = path.source;
  const journeys = conversions + nulls;
  if (journeys === 0) return;
  const keys = collapseRepeats(path.touches);
  let from = 0;
  for (let i = 0; i < keys.length; i++) {
    const to = stateId(counts, keys.subarray(Math.max(0, i - order + 1), i + 1));
    const edges = counts.edges[from] as Map<number, number>;
    edges.set(to, (edges.get(to) ?? 0) + journeys);
    from = to;
  }
  counts.toConversion[from] = (counts.toConversion[from] as number) + conversions;
  counts.toNull[from] = (counts.toNull[from] as number) + nulls;
  counts.revenueIn[from] = (counts.revenueIn[from] as number) + revenue;
}

function stateId(counts: ChainCounts, window: Int32Array): number {
  // A lone key is looked up by number; longer tuples by their joined key indices.
  const name = window.length === 1 ? (window[0] as number) : window.join(",");
  let id = counts.stateIds.get(name);
  if (id === undefined) {
    id = counts.stateKeys.length;
    counts.stateIds.set(name, id);
    counts.stateKeys.push(Int32Array.from(window));
    counts.edges.push(new Map());
    counts.toConversion.push(0);
    counts.toNull.push(0);
    counts.revenueIn.push(0);
  }
  return id;
}

function finishChain(counts: ChainCounts, keyCount: number): Chain {
  const stateCount = counts.stateKeys.length;
  const rewardScale = largestMeanReward(counts);
  const chain: Chain = {
    stateCount,
    successors: [],
    probabilities: [],
    conversionStep: new Float64Array(stateCount),
    valueStep: new Float64Array(stateCount),
    statesWithKey: Array.from({ length: keyCount }, () => []),
  };
  for (let s = 0; s < stateCount; s++) {
    const edges = counts.edges[s] as Map<number, number>;
    let out = (counts.toConversion[s] as number) + (counts.toNull[s] as number);
    for (const count of edges.values()) out += count;
    chain.successors.push(Int32Array.from(edges.keys()));
    chain.probabilities.push(Float64Array.from(edges.values(), (count) => count / out));
    chain.conversionStep[s] = out > 0 ? (counts.toConversion[s] as number) / out : 0;
    // P(s → conversion) × mean value from s = revenue arriving from s / all departures from s.
    chain.valueStep[s] = out > 0 && rewardScale > 0 ? (counts.revenueIn[s] as number) / out / rewardScale : 0;
    for (const key of new Set(counts.stateKeys[s])) chain.statesWithKey[key]?.push(s);
  }
  return chain;
}

/** Scaling rewards so the largest is 1 keeps the iterative solver's absolute tolerance meaningful. */
function largestMeanReward(counts: ChainCounts): number {
  let largest = 0;
  counts.toConversion.forEach((conversions, s) => {
    if (conversions > 0) largest = Math.max(largest, (counts.revenueIn[s] as number) / conversions);
  });
  return largest;
}

/**
 * Absorption from (start) into (conversion), plain and value-weighted. With `removed` given,
 * transitions into those states go to (null) instead.
 */
function absorb(chain: Chain, removed: readonly number[] | undefined): { conversion: number; value: number } {
  const dead = new Uint8Array(chain.stateCount);
  for (const s of removed ?? []) dead[s] = 1;
  const reachable = reachableStates(chain, dead);
  const { q, conversion, value } = restrictedSystem(chain, reachable);
  const [x, v] = solveAbsorbing(q, [conversion, value]);
  return { conversion: x?.[0] ?? 0, value: v?.[0] ?? 0 };
}

/** Live states reachable from (start), numbered breadth-first; (start) is 0. */
function reachableStates(chain: Chain, dead: Uint8Array): { order: number[]; local: Int32Array } {
  const local = new Int32Array(chain.stateCount).fill(-1);
  const order = [0];
  local[0] = 0;
  for (let head = 0; head < order.length; head++) {
    for (const t of chain.successors[order[head] as number] as Int32Array) {
      if (dead[t] || (local[t] as number) >= 0) continue;
      local[t] = order.length;
      order.push(t);
    }
  }
  return { order, local };
}

function restrictedSystem(
  chain: Chain,
  { order, local }: { order: number[]; local: Int32Array },
): { q: SparseRows; conversion: Float64Array; value: Float64Array } {
  const size = order.length;
  const rowStart = new Int32Array(size + 1);
  const column: number[] = [];
  const value: number[] = [];
  const conversion = new Float64Array(size);
  const valueRhs = new Float64Array(size);
  order.forEach((s, row) => {
    const successors = chain.successors[s] as Int32Array;
    const probabilities = chain.probabilities[s] as Float64Array;
    successors.forEach((t, e) => {
      const to = local[t] as number;
      if (to < 0) return;
      column.push(to);
      value.push(probabilities[e] as number);
    });
    rowStart[row + 1] = column.length;
    conversion[row] = chain.conversionStep[s] as number;
    valueRhs[row] = chain.valueStep[s] as number;
  });
  const q = { size, rowStart, column: Int32Array.from(column), value: Float64Array.from(value) };
  return { q, conversion, value: valueRhs };
}
