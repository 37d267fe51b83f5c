import { CreditTable } from "./credits.js";
import { type IndexedPath, type IndexedPaths, requireTouchArray } from "./paths.js";
import type { ModelOptions } from "./types.js";

export type FractionModel = "first_touch" | "last_touch" | "last_non_direct" | "linear" | "position_based";

type ShareVisitor = (position: number, fraction: number) => void;

/** Rule-based models: each converting path splits its conversions over its touches by fixed fractions. */
export function computeFractionModel(model: FractionModel, indexed: IndexedPaths, options: ModelOptions): CreditTable {
  const table = new CreditTable(indexed.keys.length);
  for (const path of indexed.paths) {
    if (path.source.conversions === 0) continue;
    const credit = options.fraudWeighting ? fraudWeightedCredit(table, path) : plainCredit(table, path);
    visitShares(model, path, options, credit);
  }
  return table;
}

/** Time decay: the per-touch decay sums arrive precomputed with each path. */
export function computeTimeDecay(indexed: IndexedPaths, options: ModelOptions): CreditTable {
  const table = new CreditTable(indexed.keys.length);
  for (const path of indexed.paths) {
    if (path.source.conversions === 0) continue;
    const decay = requireTouchArray(path, "decay");
    const decayRevenue = requireTouchArray(path, "decayRevenue");
    const keptDecay = options.fraudWeighting ? requireTouchArray(path, "decayFraud") : decay;
    const keptRevenue = options.fraudWeighting ? requireTouchArray(path, "decayFraudRevenue") : decayRevenue;
    path.touches.forEach((key, i) => {
      const kept = keptDecay[i] as number;
      const keptRev = keptRevenue[i] as number;
      table.add(key, kept, keptRev, (decay[i] as number) - kept, (decayRevenue[i] as number) - keptRev);
    });
  }
  return table;
}

function plainCredit(table: CreditTable, path: IndexedPath): ShareVisitor {
  const { conversions, revenue } = path.source;
  return (position, fraction) => {
    table.add(path.touches[position] as number, fraction * conversions, fraction * revenue);
  };
}

function fraudWeightedCredit(table: CreditTable, path: IndexedPath): ShareVisitor {
  const { conversions, revenue } = path.source;
  const weight = requireTouchArray(path, "fraudWeight");
  const weightRevenue = requireTouchArray(path, "fraudWeightRevenue");
  return (position, fraction) => {
    const kept = fraction * (weight[position] as number);
    const keptRevenue = fraction * (weightRevenue[position] as number);
    table.add(
      path.touches[position] as number,
      kept,
      keptRevenue,
      fraction * conversions - kept,
      fraction * revenue - keptRevenue,
    );
  };
}

function visitShares(model: FractionModel, path: IndexedPath, options: ModelOptions, visit: ShareVisitor): void {
  const n = path.touches.length;
  switch (model) {
    case "first_touch":
      visit(0, 1);
      break;
    case "last_touch":
      visit(n - 1, 1);
      break;
    case "last_non_direct":
      visit(lastNonDirect(path.source.direct), 1);
      break;
    case "linear":
      for (let i = 0; i < n; i++) visit(i, 1 / n);
      break;
    case "position_based":
      visitPositionShares(n, options, visit);
      break;
  }
}

function lastNonDirect(direct: readonly boolean[]): number {
  for (let i = direct.length - 1; i >= 0; i--) if (!direct[i]) return i;
  return direct.length - 1;
}

function visitPositionShares(n: number, options: ModelOptions, visit: ShareVisitor): void {
  const first = options.positionFirstWeight;
  const last = options.positionLastWeight;
  if (n === 1) {
    visit(0, 1);
  } else if (n === 2) {
    // Two touches have no middle: they share the conversion equally, whatever the end weights
    // (as Google's position-based model and eeghor/mta's position_based define it).
    visit(0, 0.5);
    visit(1, 0.5);
  } else {
    const middle = (1 - first - last) / (n - 2);
    visit(0, first);
    for (let i = 1; i < n - 1; i++) visit(i, middle);
    visit(n - 1, last);
  }
}
