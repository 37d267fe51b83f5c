import fc from "fast-check";
import { describe, it } from "vitest";
import { startCache } from "../helpers/cache-harness.js";
import { opArbitrary, runAgainstModel, runConcurrently } from "../helpers/cache-model.js";

describe("cache interleavings over several organizations (in-process level)", () => {
  it("never return a foreign or stale value, and store exactly what is still current", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary(1), { minLength: 1, maxLength: 80 }), async (ops) => {
        const cache = await startCache();
        try {
          await runAgainstModel([cache.client], ops);
        } finally {
          await cache.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it("never return a foreign value under concurrent calls", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary(1), { minLength: 1, maxLength: 120 }), async (ops) => {
        const cache = await startCache();
        try {
          await runConcurrently([cache.client], ops);
        } finally {
          await cache.close();
        }
      }),
      { numRuns: 50 },
    );
  });
});
