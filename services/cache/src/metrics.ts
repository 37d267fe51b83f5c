import { type Attributes, metrics } from "@opentelemetry/api";
import type { BreakerState } from "./domain/breaker.js";
import { createHistogram, type Histogram, type HistogramSnapshot } from "./domain/histogram.js";

export type Level = "l1" | "l2";

const attributesByName = new Map<string, Attributes>();
function attributes(key: string, value: string): Attributes {
  const id = `${key}=${value}`;
  let found = attributesByName.get(id);
  if (!found) {
    found = { [key]: value };
    attributesByName.set(id, found);
  }
  return found;
}

const breakerValue: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/**
 * Hit and miss counts per level, named event counts and latency histograms, kept in process
 * for GetStats and mirrored to OpenTelemetry instruments (no-ops unless a meter provider is
 * installed).
 */
export function createCacheMetrics() {
  const meter = metrics.getMeter("trellis");
  const hitCounter = meter.createCounter("trellis.cache.hits", { description: "cache hits by level" });
  const missCounter = meter.createCounter("trellis.cache.misses", { description: "cache misses by level" });
  const eventCounter = meter.createCounter("trellis.cache.events", {
    description: "stale serves, early recomputations, Redis errors, skipped Redis calls, …",
  });
  const durations = meter.createHistogram("trellis.cache.duration", {
    description: "duration of cache operations and Redis commands",
    unit: "ms",
  });
  let breakerState: (() => BreakerState) | undefined;
  meter
    .createObservableGauge("trellis.cache.redis.breaker", { description: "0 closed, 1 half-open, 2 open" })
    .addCallback((result) => {
      if (breakerState) result.observe(breakerValue[breakerState()]);
    });

  const levels: Record<Level, { hits: number; misses: number }> = {
    l1: { hits: 0, misses: 0 },
    l2: { hits: 0, misses: 0 },
  };
  const counters = new Map<string, number>();
  const histograms = new Map<string, Histogram>();

  return {
    hit(level: Level): void {
      levels[level].hits++;
      hitCounter.add(1, attributes("level", level));
    },
    miss(level: Level): void {
      levels[level].misses++;
      missCounter.add(1, attributes("level", level));
    },
    count(name: string, n = 1): void {
      counters.set(name, (counters.get(name) ?? 0) + n);
      eventCounter.add(n, attributes("event", name));
    },
    observe(name: string, ms: number): void {
      let histogram = histograms.get(name);
      if (!histogram) {
        histogram = createHistogram();
        histograms.set(name, histogram);
      }
      histogram.observe(ms);
      durations.record(ms, attributes("operation", name));
    },
    watchBreaker(state: () => BreakerState): void {
      breakerState = state;
    },
    level(level: Level): { hits: number; misses: number } {
      return { ...levels[level] };
    },
    counters(): Record<string, number> {
      return Object.fromEntries(counters);
    },
    histograms(): Array<{ name: string } & HistogramSnapshot> {
      return [...histograms].map(([name, histogram]) => ({ name, ...histogram.snapshot() }));
    },
  };
}

export type CacheMetrics = ReturnType<typeof createCacheMetrics>;
