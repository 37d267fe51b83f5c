import { describe, expect, it } from "vitest";
import type { VersionOp } from "../../src/adapters/redis.js";
import { createVersionRegistry, type VersionSync } from "../../src/adapters/version-registry.js";
import { DATA_FIELD, GENERATION_FIELD } from "../../src/domain/versions.js";

/** Redis's side of version syncs, with a switch that puts it out of reach. */
function fakeRedis() {
  const hashes = new Map<string, Map<string, bigint>>();
  const state = { reachable: true, calls: 0 };
  const sync: VersionSync = {
    get healthy() {
      return state.reachable;
    },
    async syncVersions(organizationId: string, ops: readonly VersionOp[]) {
      state.calls++;
      if (!state.reachable) return undefined;
      let hash = hashes.get(organizationId);
      if (!hash) {
        hash = new Map();
        hashes.set(organizationId, hash);
      }
      for (const op of ops) {
        const next = (hash.get(op.field) ?? 0n) + op.increment;
        hash.set(op.field, op.floor > next ? op.floor : next);
      }
      return new Map(hash);
    },
  };
  return { sync, hashes, state };
}

describe("version registry", () => {
  it("shares advances between instances through Redis within the max age", async () => {
    let now = 0;
    const redis = fakeRedis();
    const a = createVersionRegistry({ sync: redis.sync, maxAgeMs: 500, clock: () => now });
    const b = createVersionRegistry({ sync: redis.sync, maxAgeMs: 500, clock: () => now });
    expect((await b.current("acme")).get(DATA_FIELD)).toBeUndefined();
    await a.advance("acme", [{ field: DATA_FIELD }]);
    expect((await b.current("acme")).get(DATA_FIELD)).toBeUndefined();
    now += 500;
    expect((await b.current("acme")).get(DATA_FIELD)).toBe(1n);
    expect(redis.hashes.get("globex")).toBeUndefined();
  });

  it("keeps advancing locally while Redis is out of reach, and replays the advances after", async () => {
    const redis = fakeRedis();
    const a = createVersionRegistry({ sync: redis.sync, maxAgeMs: 0 });
    const b = createVersionRegistry({ sync: redis.sync, maxAgeMs: 0 });
    await a.advance("acme", [{ field: DATA_FIELD }]);
    redis.state.reachable = false;
    expect((await a.advance("acme", [{ field: DATA_FIELD }])).get(DATA_FIELD)).toBe(2n);
    // Meanwhile another instance reaches Redis and advances too.
    redis.state.reachable = true;
    await b.advance("acme", [{ field: DATA_FIELD }]);
    expect(redis.hashes.get("acme")?.get(DATA_FIELD)).toBe(2n);
    // a's offline advance is applied on top, so its 2 and b's 2 are never confused.
    expect((await a.current("acme")).get(DATA_FIELD)).toBe(3n);
    expect(redis.hashes.get("acme")?.get(DATA_FIELD)).toBe(3n);
  });

  it("lifts a Redis that lost its versions back to what it has seen", async () => {
    const redis = fakeRedis();
    const a = createVersionRegistry({ sync: redis.sync, maxAgeMs: 0 });
    await a.advance("acme", [{ field: DATA_FIELD }, { field: GENERATION_FIELD }]);
    await a.advance("acme", [{ field: DATA_FIELD }]);
    redis.hashes.clear();
    expect((await a.current("acme")).get(DATA_FIELD)).toBe(2n);
    expect(redis.hashes.get("acme")?.get(DATA_FIELD)).toBe(2n);
    expect(redis.hashes.get("acme")?.get(GENERATION_FIELD)).toBe(1n);
  });

  it("shares one sync among concurrent readers", async () => {
    const redis = fakeRedis();
    const a = createVersionRegistry({ sync: redis.sync, maxAgeMs: 1_000 });
    await Promise.all(Array.from({ length: 50 }, () => a.current("acme")));
    expect(redis.state.calls).toBe(1);
  });

  it("needs no Redis at all", async () => {
    const a = createVersionRegistry({ maxAgeMs: 0 });
    await a.advance("acme", [{ field: DATA_FIELD }]);
    expect((await a.current("acme")).get(DATA_FIELD)).toBe(1n);
    expect((await a.current("globex")).get(DATA_FIELD)).toBeUndefined();
  });
});
