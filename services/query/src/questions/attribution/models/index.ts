import { type CreditTable, toModelResult } from "./credits.js";
import { keptRatios, splitByKeptRatios } from "./fraud.js";
import { computeFractionModel, computeTimeDecay } from "./heuristics.js";
import { computeMarkovCredits } from "./markov.js";
import { resolveOptions, validateModels } from "./options.js";
import { type IndexedPaths, indexPaths } from "./paths.js";
import { computeShapleyCredits } from "./shapley.js";
import type { DistinctPath, ModelName, ModelOptions, ModelResult } from "./types.js";

export { markovRemovalEffects } from "./markov.js";
export { optionLimits, resolveOptions } from "./options.js";
export {
  type DistinctPath,
  defaultModelOptions,
  type KeyCredit,
  MODEL_NAMES,
  type ModelName,
  type ModelOptions,
  type ModelResult,
} from "./types.js";

/**
 * Credits conversions and revenue to keys under each requested model. For every model the kept
 * plus fraud-removed credit adds up to the paths' total conversions and revenue.
 */
export function computeModels(
  paths: readonly DistinctPath[],
  models: readonly ModelName[],
  options: Partial<ModelOptions> = {},
): ModelResult[] {
  validateModels(models);
  const resolved = resolveOptions(options);
  const indexed = indexPaths(paths);
  return models.map((model) => computeModel(model, indexed, resolved));
}

function computeModel(model: ModelName, indexed: IndexedPaths, options: ModelOptions): ModelResult {
  switch (model) {
    case "time_decay":
      return toModelResult(model, indexed.keys, computeTimeDecay(indexed, options));
    case "markov":
      return toModelResult(model, indexed.keys, markovTable(indexed, options));
    case "shapley":
      return shapleyResult(indexed, options);
    default:
      return toModelResult(model, indexed.keys, computeFractionModel(model, indexed, options));
  }
}

function markovTable(indexed: IndexedPaths, options: ModelOptions): CreditTable {
  const credits = computeMarkovCredits(indexed, options.markovOrder);
  return splitByKeptRatios(credits.conversions, credits.revenue, fraudRatios(indexed, options));
}

function shapleyResult(indexed: IndexedPaths, options: ModelOptions): ModelResult {
  const credits = computeShapleyCredits(indexed);
  const table = splitByKeptRatios(credits.conversions, credits.revenue, fraudRatios(indexed, options));
  return toModelResult("shapley", indexed.keys, table);
}

function fraudRatios(indexed: IndexedPaths, options: ModelOptions) {
  return options.fraudWeighting ? keptRatios(indexed) : undefined;
}
