import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { redisConfig, startCache } from "../helpers/cache-harness.js";
import { opArbitrary, runAgainstModel, runConcurrently } from "../helpers/cache-model.js";
import { type RedisServer, startRedisServer } from "../helpers/redis-servers.js";

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.stop();
});

/** Two instances on one Redis, each with its own L1, under a key prefix of their own. */
async function instances() {
  const config = redisConfig({ url: server.url });
  return Promise.all([0, 1].map(() => startCache({ redis: config, tuning: { versionsMaxAgeMs: 0 } })));
}

describe("cache interleavings over several organizations and two instances sharing Redis", () => {
  it("never return a foreign or stale value, and store exactly what is still current", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary(2), { minLength: 1, maxLength: 60 }), async (ops) => {
        const caches = await instances();
        try {
          await runAgainstModel(
            caches.map((c) => c.client),
            ops,
          );
        } finally {
          await Promise.all(caches.map((c) => c.close()));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("never return a foreign value under concurrent calls", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary(2), { minLength: 1, maxLength: 120 }), async (ops) => {
        const caches = await instances();
        try {
          await runConcurrently(
            caches.map((c) => c.client),
            ops,
          );
        } finally {
          await Promise.all(caches.map((c) => c.close()));
        }
      }),
      { numRuns: 20 },
    );
  });
});
