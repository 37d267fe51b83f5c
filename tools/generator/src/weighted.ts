import type { Random } from "./prng.js";

/** A weighted choice among fixed items, O(1) per draw (Walker/Vose alias method). */
export interface WeightedChoice<T> {
  readonly items: readonly T[];
  /** Normalised weights, in the order of `items`. */
  readonly probabilities: readonly number[];
  sample(rng: Random): T;
  sampleIndex(rng: Random): number;
}

export function createWeightedChoice<T>(entries: ReadonlyArray<readonly [T, number]>): WeightedChoice<T> {
  const kept = entries.filter(([, weight]) => weight > 0);
  if (kept.length === 0) throw new RangeError("a weighted choice needs at least one positive weight");
  const items = kept.map(([item]) => item);
  const total = kept.reduce((sum, [, weight]) => sum + weight, 0);
  const probabilities = kept.map(([, weight]) => weight / total);
  const n = items.length;
  const accept = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = probabilities.map((p) => p * n);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((value, index) => {
    (value < 1 ? small : large).push(index);
  });
  while (small.length > 0 && large.length > 0) {
    const less = small.pop() as number;
    const more = large.pop() as number;
    accept[less] = scaled[less] as number;
    alias[less] = more;
    scaled[more] = (scaled[more] as number) + (scaled[less] as number) - 1;
    (scaled[more] < 1 ? small : large).push(more);
  }
  for (const index of [...small, ...large]) {
    accept[index] = 1;
    alias[index] = index;
  }
  const sampleIndex = (rng: Random): number => {
    const x = rng.float() * n;
    const column = Math.floor(x);
    return x - column < (accept[column] as number) ? column : (alias[column] as number);
  };
  return {
    items,
    probabilities,
    sampleIndex,
    sample: (rng) => items[sampleIndex(rng)] as T,
  };
}

/** A weighted choice from a record of name → weight. */
export function createChoiceFromRecord<K extends string>(
  weights: Readonly<Partial<Record<K, number>>>,
): WeightedChoice<K> {
  return createWeightedChoice(Object.entries(weights).map(([key, weight]) => [key as K, weight as number] as const));
}
