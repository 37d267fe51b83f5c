import { createGenerator, type GeneratedEvent, type GeneratorOptions } from "../../src/index.js";

export const SMALL_RUN: GeneratorOptions = {
  seed: 20260601,
  organizations: 12,
  totalEvents: 80_000,
  start: new Date("2026-05-01T00:00:00Z"),
  end: new Date("2026-05-29T00:00:00Z"),
};

/** Runs a generator to the end and keeps every event (small runs only). */
export function generateAll(options: GeneratorOptions, batchSize = 5_000) {
  const generator = createGenerator(options);
  const events: GeneratedEvent[] = [];
  for (const batch of generator.batches(batchSize)) for (const event of batch) events.push(event);
  return { generator, events, truth: generator.groundTruth() };
}

let cached: ReturnType<typeof generateAll> | undefined;

/** The events and ground truth of SMALL_RUN, generated once per test file. */
export function smallRun(): ReturnType<typeof generateAll> {
  cached ??= generateAll(SMALL_RUN);
  return cached;
}

/** Groups events by a key, keeping their order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
