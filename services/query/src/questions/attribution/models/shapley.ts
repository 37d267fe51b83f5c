import type { IndexedPaths } from "./paths.js";

/** Converting paths grouped by their SET of keys: the only thing the coalition game depends on. */
interface KeySetGroup {
  /** Distinct key indices of the set, ascending. */
  keys: Int32Array;
  conversions: number;
  revenue: number;
}

export interface ShapleyCredits {
  conversions: Float64Array;
  revenue: Float64Array;
}

/**
 * Exact Shapley credit per key index, in time linear in the total length of the converting paths.
 *
 * The game is v(S) = Σ conversions (or revenue) of the converting paths whose key set lies inside S.
 * Grouping the paths by key set G with value c_G, v = Σ_G c_G · u_G, where the unanimity game
 * u_G(S) is 1 when G ⊆ S and 0 otherwise. The Shapley value is linear in the game, and in u_G the
 * members of G are symmetric while every other key is a null player, so φ(u_G) gives 1/|G| to each
 * member of G and 0 to the rest. Hence φ_i = Σ_{G ∋ i} c_G / |G|: each key set's conversions and
 * revenue split equally among its keys. This is the exact value for any number of keys — no 2^n
 * coalition table and no sampling. Keys seen only on non-converting paths get nothing.
 */
export function computeShapleyCredits(indexed: IndexedPaths): ShapleyCredits {
  const conversions = new Float64Array(indexed.keys.length);
  const revenue = new Float64Array(indexed.keys.length);
  for (const group of groupKeySets(indexed)) {
    const size = group.keys.length;
    for (const key of group.keys) {
      conversions[key] = (conversions[key] as number) + group.conversions / size;
      revenue[key] = (revenue[key] as number) + group.revenue / size;
    }
  }
  return { conversions, revenue };
}

function groupKeySets(indexed: IndexedPaths): KeySetGroup[] {
  const groups = new Map<string, KeySetGroup>();
  for (const path of indexed.paths) {
    if (path.source.conversions <= 0) continue;
    const keys = distinctKeys(path.touches);
    const name = keys.join(",");
    let group = groups.get(name);
    if (group === undefined) {
      group = { keys, conversions: 0, revenue: 0 };
      groups.set(name, group);
    }
    group.conversions += path.source.conversions;
    group.revenue += path.source.revenue;
  }
  return [...groups.values()];
}

function distinctKeys(touches: Int32Array): Int32Array {
  const sorted = Int32Array.from(touches).sort();
  return sorted.filter((key, i) => i === 0 || key !== sorted[i - 1]);
}
