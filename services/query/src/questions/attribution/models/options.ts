import { defaultModelOptions, MODEL_NAMES, type ModelName, type ModelOptions } from "./types.js";

export const optionLimits = {
  maxMarkovOrder: 4,
};

const modelNames: ReadonlySet<string> = new Set(MODEL_NAMES);

/** Merges the given options over the defaults and rejects values the models cannot use. */
export function resolveOptions(options: Partial<ModelOptions> = {}): ModelOptions {
  const resolved: ModelOptions = { ...defaultModelOptions };
  for (const name of Object.keys(defaultModelOptions) as (keyof ModelOptions)[]) {
    if (options[name] !== undefined) Object.assign(resolved, { [name]: options[name] });
  }
  validatePositionWeights(resolved.positionFirstWeight, resolved.positionLastWeight);
  requireInteger("markovOrder", resolved.markovOrder, 1, optionLimits.maxMarkovOrder);
  if (typeof resolved.fraudWeighting !== "boolean") throw new RangeError("fraudWeighting must be a boolean");
  return resolved;
}

export function validateModels(models: readonly string[]): asserts models is readonly ModelName[] {
  for (const model of models) {
    if (!modelNames.has(model)) {
      throw new RangeError(`unknown attribution model "${model}": expected one of ${MODEL_NAMES.join(", ")}`);
    }
  }
}

function validatePositionWeights(first: number, last: number): void {
  for (const [name, value] of [
    ["positionFirstWeight", first],
    ["positionLastWeight", last],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new RangeError(`${name} must be a number between 0 and 1, got ${value}`);
    }
  }
  if (first + last > 1 + 1e-12) {
    throw new RangeError(`positionFirstWeight + positionLastWeight must be at most 1, got ${first + last}`);
  }
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}
