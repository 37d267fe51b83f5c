import { describe, expect, it } from "vitest";
import { createGenerator, type GeneratedEvent } from "../../src/index.js";
import { SMALL_RUN } from "./helpers.js";

function firstBatches(seed: number, count: number, batchSize = 1_000): GeneratedEvent[][] {
  const batches: GeneratedEvent[][] = [];
  for (const batch of createGenerator({ ...SMALL_RUN, seed }).batches(batchSize)) {
    batches.push(batch);
    if (batches.length === count) break;
  }
  return batches;
}

describe("determinism", () => {
  it("gives byte-identical batches for the same options", () => {
    const first = JSON.stringify(firstBatches(SMALL_RUN.seed, 5));
    const second = JSON.stringify(firstBatches(SMALL_RUN.seed, 5));
    expect(first.length).toBeGreaterThan(100_000);
    expect(second).toBe(first);
  });

  it("gives different traffic for a different seed", () => {
    const a = firstBatches(1, 1)[0] ?? [];
    const b = firstBatches(2, 1)[0] ?? [];
    expect(a).toHaveLength(1_000);
    expect(b).toHaveLength(1_000);
    const ids = new Set(a.map((e) => e.eventId));
    expect(b.some((e) => ids.has(e.eventId))).toBe(false);
    expect(b.map((e) => e.url)).not.toEqual(a.map((e) => e.url));
    expect(createGenerator({ ...SMALL_RUN, seed: 1 }).organizations).not.toEqual(
      createGenerator({ ...SMALL_RUN, seed: 2 }).organizations,
    );
  });

  it("does not depend on the batch size, and every call of batches() replays the run", () => {
    const generator = createGenerator({ ...SMALL_RUN, totalEvents: 20_000 });
    const bySmall = [...generator.batches(777)].flat();
    const byLarge = [...generator.batches(5_000)].flat();
    expect(bySmall.length).toBeGreaterThan(15_000);
    expect(JSON.stringify(byLarge)).toBe(JSON.stringify(bySmall));
    const sizes = [...generator.batches(777)].map((b) => b.length);
    expect(sizes.slice(0, -1).every((n) => n === 777)).toBe(true);
    expect(sizes.at(-1)).toBeLessThanOrEqual(777);
  });

  it("derives unique UUID-shaped event ids from the seed and a counter", () => {
    const events = [...createGenerator({ ...SMALL_RUN, totalEvents: 30_000 }).batches(10_000)].flat();
    const ids = new Set(events.map((e) => e.eventId));
    expect(ids.size).toBe(events.length);
    for (const e of events.slice(0, 2_000)) {
      expect(e.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.visitorId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-9[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    // Random-looking: no group is shared by all ids of a run.
    for (const group of [0, 1, 4])
      expect(new Set(events.slice(0, 100).map((e) => e.eventId.split("-")[group])).size).toBe(100);
  });

  it("rejects invalid options with every problem named", () => {
    expect(() =>
      createGenerator({ ...SMALL_RUN, organizations: 0, end: SMALL_RUN.start, organizationIdPrefix: "9x" }),
    ).toThrow(/organizations: .*end: expected a Date after start.*organizationIdPrefix/);
    expect(() => [...createGenerator(SMALL_RUN).batches(0)]).toThrow(/batchSize/);
  });
});
