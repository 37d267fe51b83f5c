import { describe, expect, it } from "vitest";
import { createL2 } from "../../src/adapters/l2.js";
import type { RedisPort } from "../../src/adapters/redis.js";
import { createBreaker } from "../../src/domain/breaker.js";
import { type Entry, encodeEntry } from "../../src/domain/envelope.js";
import { createCacheMetrics } from "../../src/metrics.js";
import { silentLogger } from "../helpers/cache-harness.js";

function fakePort(behaviour: { delayMs?: number; fail?: boolean; values?: Map<string, Uint8Array> }) {
  const calls = { get: 0, set: 0 };
  const wait = () => new Promise((r) => setTimeout(r, behaviour.delayMs ?? 0));
  const port: RedisPort = {
    mode: "standalone",
    async get(key) {
      calls.get++;
      await wait();
      if (behaviour.fail) throw new Error("Connection is closed.");
      return behaviour.values?.get(key) ?? null;
    },
    async set(key, value) {
      calls.set++;
      await wait();
      if (behaviour.fail) throw new Error("Connection is closed.");
      behaviour.values?.set(key, value);
    },
    async syncVersions() {
      await wait();
      if (behaviour.fail) throw new Error("Connection is closed.");
      return new Map();
    },
    async ready() {
      return true;
    },
    async close() {},
  };
  return { port, calls };
}

function l2For(port: RedisPort, timeoutMs = 50) {
  const metrics = createCacheMetrics();
  const breaker = createBreaker({ failureThreshold: 3, openMs: 60_000 });
  const l2 = createL2({
    redis: port,
    breaker,
    keyPrefix: "p",
    timeoutMs,
    versionsTtlMs: 1_000,
    metrics,
    logger: silentLogger,
  });
  return { l2, metrics, breaker };
}

const entry = (organizationId: string, key: string): Entry => ({
  organizationId,
  key,
  value: new Uint8Array([7]),
  storedAt: Date.now(),
  softExpiresAt: Date.now() + 60_000,
  hardExpiresAt: Date.now() + 75_000,
  computeMs: 3,
});

describe("Redis level", () => {
  it("gives up on a slow reply after its timeout and reports Redis unavailable", async () => {
    const { port } = fakePort({ delayMs: 1_000 });
    const { l2, metrics } = l2For(port, 50);
    const started = performance.now();
    const read = await l2.get("acme", "p:{acme}:e:k");
    expect(performance.now() - started).toBeLessThan(500);
    expect(read.available).toBe(false);
    expect(metrics.counters().l2_errors).toBe(1);
  });

  it("opens its breaker after repeated failures and then skips Redis without waiting", async () => {
    const { port, calls } = fakePort({ fail: true });
    const { l2, metrics } = l2For(port);
    for (let i = 0; i < 3; i++) await l2.get("acme", `p:{acme}:e:k${i}`);
    expect(l2.breakerState).toBe("open");
    await l2.get("acme", "p:{acme}:e:other");
    expect(await l2.set(entry("acme", "p:{acme}:e:other"), 1_000)).toBe(false);
    expect(await l2.syncVersions("acme", [])).toBeUndefined();
    expect(calls.get).toBe(3);
    expect(metrics.counters().l2_skipped).toBe(3);
  });

  it("coalesces concurrent reads of one key into one GET", async () => {
    const values = new Map<string, Uint8Array>();
    values.set("p:{acme}:e:k", encodeEntry(entry("acme", "p:{acme}:e:k")));
    const { port, calls } = fakePort({ delayMs: 5, values });
    const { l2, metrics } = l2For(port);
    const reads = await Promise.all(Array.from({ length: 100 }, () => l2.get("acme", "p:{acme}:e:k")));
    expect(calls.get).toBe(1);
    expect(reads.every((r) => r.entry?.value[0] === 7)).toBe(true);
    expect(metrics.counters().l2_coalesced).toBe(99);
  });

  it("refuses a value stored under the key but belonging to another organization or key", async () => {
    const values = new Map<string, Uint8Array>();
    values.set("p:{acme}:e:k", encodeEntry(entry("globex", "p:{acme}:e:k")));
    values.set("p:{acme}:e:j", encodeEntry(entry("acme", "p:{acme}:e:other")));
    values.set("p:{acme}:e:raw", new TextEncoder().encode("not an envelope"));
    const { port } = fakePort({ values });
    const { l2, metrics } = l2For(port);
    for (const key of ["p:{acme}:e:k", "p:{acme}:e:j", "p:{acme}:e:raw"]) {
      expect(await l2.get("acme", key)).toEqual({ available: true });
    }
    expect(metrics.counters().l2_rejected).toBe(3);
  });
});
