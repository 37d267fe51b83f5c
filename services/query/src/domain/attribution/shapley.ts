import type { IndexedPaths } from "./paths.js";
import { mulberry32, shuffle } from "./prng.js";

/**
 * Converting paths grouped by their SET of keys. The coalition value v(S) is the sum over the
 * groups whose set lies inside S, so the groups are all the game needs.
 */
interface KeySetGroups {
  /** Player → key index; players are the keys that appear on converting paths. */
  players: number[];
  /** Sorted player indices of each group. */
  members: Int32Array[];
  conversions: number[];
  revenue: number[];
}

export interface ShapleyCredits {
  conversions: Float64Array;
  revenue: Float64Array;
  /** Present when the values were sampled. */
  standardError?: number;
}

export interface ShapleySettings {
  exactMaxKeys: number;
  samples: number;
  seed: number;
}

/** Coalition tables of 2^n values are only built up to this many players. */
const maxTablePlayers = 22;

/** Shapley credit per key index, exact up to `exactMaxKeys` players and sampled beyond. */
export function computeShapleyCredits(indexed: IndexedPaths, settings: ShapleySettings): ShapleyCredits {
  const groups = groupKeySets(indexed);
  const n = groups.players.length;
  const perPlayer =
    n <= settings.exactMaxKeys ? exactShapley(groups) : sampledShapley(groups, settings.samples, settings.seed);
  const conversions = new Float64Array(indexed.keys.length);
  const revenue = new Float64Array(indexed.keys.length);
  groups.players.forEach((key, player) => {
    conversions[key] = perPlayer.conversions[player] as number;
    revenue[key] = perPlayer.revenue[player] as number;
  });
  return { ...perPlayer, conversions, revenue };
}

function groupKeySets(indexed: IndexedPaths): KeySetGroups {
  const converting = indexed.paths.filter((path) => path.source.conversions > 0);
  const playerOf = new Int32Array(indexed.keys.length).fill(-1);
  const players: number[] = [];
  for (const path of converting) {
    for (const key of path.touches) {
      if ((playerOf[key] as number) >= 0) continue;
      playerOf[key] = players.length;
      players.push(key);
    }
  }
  const groups: KeySetGroups = { players, members: [], conversions: [], revenue: [] };
  const groupOf = new Map<number | string, number>();
  for (const path of converting) {
    // A bit mask names the set when it fits in 31 bits; beyond that the joined members do.
    const name =
      players.length <= 31 ? touchMask(path.touches, playerOf) : distinctPlayers(path.touches, playerOf).join(",");
    let group = groupOf.get(name);
    if (group === undefined) {
      group = groups.members.length;
      groupOf.set(name, group);
      groups.members.push(distinctPlayers(path.touches, playerOf));
      groups.conversions.push(0);
      groups.revenue.push(0);
    }
    groups.conversions[group] = (groups.conversions[group] as number) + path.source.conversions;
    groups.revenue[group] = (groups.revenue[group] as number) + path.source.revenue;
  }
  return groups;
}

function touchMask(touches: Int32Array, playerOf: Int32Array): number {
  let mask = 0;
  for (const key of touches) mask |= 1 << (playerOf[key] as number);
  return mask;
}

function distinctPlayers(touches: Int32Array, playerOf: Int32Array): Int32Array {
  const sorted = Int32Array.from(touches, (key) => playerOf[key] as number).sort();
  return sorted.filter((player, i) => i === 0 || player !== sorted[i - 1]);
}

function maskOf(members: Int32Array): number {
  let mask = 0;
  for (const player of members) mask |= 1 << player;
  return mask;
}

interface CoalitionValues {
  conversions: Float64Array;
  revenue: Float64Array;
}

/** v over all 2^n coalitions, by a subset-sum (zeta) transform of the groups' own values. */
function coalitionValues(groups: KeySetGroups): CoalitionValues {
  const n = groups.players.length;
  const conversions = new Float64Array(2 ** n);
  const revenue = new Float64Array(2 ** n);
  groups.members.forEach((members, g) => {
    const mask = maskOf(members);
    conversions[mask] = (conversions[mask] as number) + (groups.conversions[g] as number);
    revenue[mask] = (revenue[mask] as number) + (groups.revenue[g] as number);
  });
  subsetSums(conversions, n);
  subsetSums(revenue, n);
  return { conversions, revenue };
}

/** In place: value[mask] becomes the sum of value[subset] over every subset of mask. */
function subsetSums(value: Float64Array, n: number): void {
  for (let bit = 1; bit < 1 << n; bit <<= 1) {
    for (let base = 0; base < value.length; base += bit << 1) {
      for (let mask = base + bit; mask < base + (bit << 1); mask++) {
        value[mask] = (value[mask] as number) + (value[mask - bit] as number);
      }
    }
  }
}

function exactShapley(groups: KeySetGroups): ShapleyCredits {
  const n = groups.players.length;
  const values = coalitionValues(groups);
  const weights = coalitionWeights(n);
  const conversions = new Float64Array(n);
  const revenue = new Float64Array(n);
  for (let mask = 0; mask < values.conversions.length; mask++) {
    const weight = weights[popcount(mask)] as number;
    const baseConversions = values.conversions[mask] as number;
    const baseRevenue = values.revenue[mask] as number;
    for (let player = 0; player < n; player++) {
      const bit = 1 << player;
      if (mask & bit) continue;
      const gain = (values.conversions[mask | bit] as number) - baseConversions;
      const gainRevenue = (values.revenue[mask | bit] as number) - baseRevenue;
      conversions[player] = (conversions[player] as number) + weight * gain;
      revenue[player] = (revenue[player] as number) + weight * gainRevenue;
    }
  }
  return { conversions, revenue };
}

/** |S|!(n−|S|−1)!/n! = 1 / (n · C(n−1, |S|)) for each coalition size |S| < n. */
function coalitionWeights(n: number): Float64Array {
  const weights = new Float64Array(Math.max(n, 1));
  let binomial = 1;
  for (let size = 0; size < n; size++) {
    weights[size] = 1 / (n * binomial);
    binomial = (binomial * (n - 1 - size)) / (size + 1);
  }
  return weights;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

interface Marginals {
  conversions: Float64Array;
  revenue: Float64Array;
}

/** Writes every player's marginal contribution when the players join in the given order. */
type OrderingMarginals = (ordering: Int32Array, marginal: Marginals) => void;

/** Monte Carlo over random orderings of the players, averaging each one's marginal contributions. */
function sampledShapley(groups: KeySetGroups, samples: number, seed: number): ShapleyCredits {
  const n = groups.players.length;
  const marginalsOf = orderingMarginals(groups, samples);
  const sums = { conversions: new Float64Array(n), squares: new Float64Array(n), revenue: new Float64Array(n) };
  const marginal: Marginals = { conversions: new Float64Array(n), revenue: new Float64Array(n) };
  const ordering = Int32Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let sample = 0; sample < samples; sample++) {
    shuffle(ordering, random);
    marginalsOf(ordering, marginal);
    for (let player = 0; player < n; player++) {
      const m = marginal.conversions[player] as number;
      sums.conversions[player] = (sums.conversions[player] as number) + m;
      sums.squares[player] = (sums.squares[player] as number) + m * m;
      sums.revenue[player] = (sums.revenue[player] as number) + (marginal.revenue[player] as number);
    }
  }
  return {
    conversions: sums.conversions.map((sum) => sum / samples),
    revenue: sums.revenue.map((sum) => sum / samples),
    standardError: largestStandardError(sums.conversions, sums.squares, samples),
  };
}

/**
 * Both evaluations give the same marginals; the cheaper one is used. A coalition table costs
 * about 2^n·n once, then n per ordering; a pass over the groups costs their total size per ordering.
 */
function orderingMarginals(groups: KeySetGroups, samples: number): OrderingMarginals {
  const n = groups.players.length;
  const shared = flattenSharedGroups(groups);
  const tableCost = 2 ** n * n;
  const passCost = samples * (shared.members.length + n);
  return n <= maxTablePlayers && tableCost < passCost ? tableMarginals(groups) : groupPassMarginals(groups, shared);
}

function tableMarginals(groups: KeySetGroups): OrderingMarginals {
  const values = coalitionValues(groups);
  return (ordering, marginal) => {
    let mask = 0;
    for (const player of ordering) {
      const next = mask | (1 << player);
      marginal.conversions[player] = (values.conversions[next] as number) - (values.conversions[mask] as number);
      marginal.revenue[player] = (values.revenue[next] as number) - (values.revenue[mask] as number);
      mask = next;
    }
  };
}

/**
 * In one ordering a group's value is the marginal contribution of whichever of its members
 * joins last. A single-key group always credits its key, so it is a constant.
 */
function groupPassMarginals(groups: KeySetGroups, shared: SharedGroups): OrderingMarginals {
  const single = singleKeyCredits(groups);
  const position = new Int32Array(groups.players.length);
  return (ordering, marginal) => {
    ordering.forEach((player, at) => {
      position[player] = at;
    });
    marginal.conversions.set(single.conversions);
    marginal.revenue.set(single.revenue);
    creditLastArrivals(shared, position, marginal);
  };
}

function singleKeyCredits(groups: KeySetGroups): Marginals {
  const conversions = new Float64Array(groups.players.length);
  const revenue = new Float64Array(groups.players.length);
  groups.members.forEach((members, g) => {
    if (members.length !== 1) return;
    const player = members[0] as number;
    conversions[player] = (conversions[player] as number) + (groups.conversions[g] as number);
    revenue[player] = (revenue[player] as number) + (groups.revenue[g] as number);
  });
  return { conversions, revenue };
}

/** Groups of two or more keys, packed into flat arrays for the per-ordering pass. */
interface SharedGroups {
  count: number;
  /** Group g's members are members[start[g]] .. members[start[g + 1] − 1]. */
  start: Int32Array;
  members: Int32Array;
  conversions: Float64Array;
  revenue: Float64Array;
}

function flattenSharedGroups(groups: KeySetGroups): SharedGroups {
  const chosen = groups.members.flatMap((members, g) => (members.length > 1 ? [g] : []));
  const start = new Int32Array(chosen.length + 1);
  chosen.forEach((g, i) => {
    start[i + 1] = (start[i] as number) + (groups.members[g] as Int32Array).length;
  });
  const members = new Int32Array(start[chosen.length] as number);
  chosen.forEach((g, i) => {
    members.set(groups.members[g] as Int32Array, start[i]);
  });
  return {
    count: chosen.length,
    start,
    members,
    conversions: Float64Array.from(chosen, (g) => groups.conversions[g] as number),
    revenue: Float64Array.from(chosen, (g) => groups.revenue[g] as number),
  };
}

function creditLastArrivals(shared: SharedGroups, position: Int32Array, marginal: Marginals): void {
  const { start, members } = shared;
  for (let g = 0; g < shared.count; g++) {
    const end = start[g + 1] as number;
    let last = members[start[g] as number] as number;
    let lastAt = position[last] as number;
    for (let i = (start[g] as number) + 1; i < end; i++) {
      const player = members[i] as number;
      const at = position[player] as number;
      if (at > lastAt) {
        last = player;
        lastAt = at;
      }
    }
    marginal.conversions[last] = (marginal.conversions[last] as number) + (shared.conversions[g] as number);
    marginal.revenue[last] = (marginal.revenue[last] as number) + (shared.revenue[g] as number);
  }
}

function largestStandardError(sums: Float64Array, squares: Float64Array, samples: number): number {
  let largest = 0;
  sums.forEach((sum, player) => {
    const variance = Math.max(0, ((squares[player] as number) - (sum * sum) / samples) / (samples - 1));
    largest = Math.max(largest, Math.sqrt(variance / samples));
  });
  return largest;
}
