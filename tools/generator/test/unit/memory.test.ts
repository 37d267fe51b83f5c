import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createGenerator } from "../../src/index.js";

// A full collection before each reading, so the heap measured is what the generator keeps,
// not garbage waiting to be collected.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;
const MB = 1024 * 1024;

describe("memory", () => {
  it("stays bounded while streaming 2 million events", () => {
    const generator = createGenerator({
      seed: 99,
      organizations: 50,
      totalEvents: 2_000_000,
      start: new Date("2026-03-01T00:00:00Z"),
      end: new Date("2026-03-31T00:00:00Z"),
    });
    collect();
    const baseline = process.memoryUsage().heapUsed;
    let events = 0;
    let nextReading = 250_000;
    let peak = 0;
    for (const batch of generator.batches(5_000)) {
      events += batch.length;
      if (events >= nextReading) {
        nextReading += 250_000;
        collect();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    expect(events).toBeGreaterThan(1_900_000);
    // Keeping the events would take well over 500 MB; the generator keeps only the visitors
    // between sessions and the sessions in flight.
    expect(peak / MB).toBeLessThan(64);
  });
});
