import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { Freshness } from "@trellis/contracts";
import { asOrganization, bytes, type CacheHarness } from "./cache-harness.js";

export interface LoadResult {
  calls: number;
  failures: number;
  found: number;
  maxMs: number;
  p99Ms: number;
  /** The slowest calls, with when they started relative to the load's start. */
  slowest: Array<{ atMs: number; ms: number }>;
}

/**
 * Workers that read through the cache as the query service does (get; on a miss, set),
 * over several organizations and keys, timing every call and counting every failure.
 */
export function startLoad(cache: CacheHarness, options: { workers: number; organizations: string[]; keys: number }) {
  const started = performance.now();
  const latencies: Array<{ atMs: number; ms: number }> = [];
  let failures = 0;
  let found = 0;
  let running = true;

  async function timed<T>(call: () => Promise<T>): Promise<T | undefined> {
    const at = performance.now();
    try {
      return await call();
    } catch {
      failures++;
      return undefined;
    } finally {
      latencies.push({ atMs: at - started, ms: performance.now() - at });
    }
  }

  async function worker(): Promise<void> {
    while (running) {
      const organizationId = options.organizations[Math.floor(Math.random() * options.organizations.length)] ?? "";
      const key = `q1:load:${Math.floor(Math.random() * options.keys)}`;
      const callOptions = await asOrganization(organizationId);
      const got = await timed(() => cache.client.get({ key }, callOptions));
      if (got?.found) found++;
      if (got && !got.found) {
        await timed(() =>
          cache.client.set(
            {
              key,
              value: bytes(`${organizationId}:${key}`),
              freshness: Freshness.REALTIME,
              dataVersion: got.dataVersion,
              rulesetVersion: got.rulesetVersion,
            },
            callOptions,
          ),
        );
      }
      await yieldToEventLoop();
    }
  }

  const workers = Array.from({ length: options.workers }, () => worker());
  return {
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(workers);
      const sorted = latencies.map((l) => l.ms).sort((x, y) => x - y);
      return {
        calls: latencies.length,
        failures,
        found,
        maxMs: sorted.at(-1) ?? 0,
        p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
        slowest: [...latencies].sort((x, y) => y.ms - x.ms).slice(0, 5),
      };
    },
  };
}
