import { CreditTable } from "./credits.js";
import { type IndexedPaths, requireTouchArray } from "./paths.js";

/** Per key, the share of its credit kept after fraud weighting (1 when there is no evidence either way). */
export interface KeptRatios {
  conversions: Float64Array;
  revenue: Float64Array;
}

/**
 * For models whose credit exists only per key (Markov, Shapley): the ratio of fraud-weighted to
 * raw conversions (and revenue) over every converting position where the key appears.
 */
export function keptRatios(indexed: IndexedPaths): KeptRatios {
  const size = indexed.keys.length;
  const weighted = new Float64Array(size);
  const weightedRevenue = new Float64Array(size);
  const raw = new Float64Array(size);
  const rawRevenue = new Float64Array(size);
  for (const path of indexed.paths) {
    if (path.source.conversions === 0) continue;
    const weight = requireTouchArray(path, "fraudWeight");
    const weightRevenue = requireTouchArray(path, "fraudWeightRevenue");
    path.touches.forEach((key, i) => {
      weighted[key] = (weighted[key] as number) + (weight[i] as number);
      weightedRevenue[key] = (weightedRevenue[key] as number) + (weightRevenue[i] as number);
      raw[key] = (raw[key] as number) + path.source.conversions;
      rawRevenue[key] = (rawRevenue[key] as number) + path.source.revenue;
    });
  }
  return { conversions: ratios(weighted, raw), revenue: ratios(weightedRevenue, rawRevenue) };
}

/** Splits per-key credit into kept and removed parts; without ratios everything is kept. */
export function splitByKeptRatios(
  conversions: Float64Array,
  revenue: Float64Array,
  kept: KeptRatios | undefined,
): CreditTable {
  const table = new CreditTable(conversions.length);
  for (let key = 0; key < conversions.length; key++) {
    const conv = conversions[key] as number;
    const rev = revenue[key] as number;
    const keptConv = kept ? (kept.conversions[key] as number) : 1;
    const keptRev = kept ? (kept.revenue[key] as number) : 1;
    table.add(key, conv * keptConv, rev * keptRev, conv - conv * keptConv, rev - rev * keptRev);
  }
  return table;
}

function ratios(numerator: Float64Array, denominator: Float64Array): Float64Array {
  return numerator.map((value, i) => {
    const total = denominator[i] as number;
    return total > 0 ? value / total : 1;
  });
}
