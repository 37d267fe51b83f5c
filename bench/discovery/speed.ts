// Discovery's speed alone, on a kept dataset: the largest organization's 90 days through the
// API, uncached, for patterns, anomalies and fraud — the figures the full benchmark
// (bench/discovery/run.ts) prints last, without its quality scoring, so that two commits can be
// compared on one seeded dataset, one after the other in one session:
//
//   BENCH_DATA_DIR=/tmp/trellis-bench-10m BENCH_EVENTS=10000000 npm run bench:discovery:speed
//
// The first run seeds the dataset (minutes for 10M); later runs, of this commit or another,
// reuse it. Each call differs from the others by a setting that leaves its statements as they
// are (a limit, a threshold moved by a thousandth), so every one is computed. Beside each, the
// method's raw statements through the store alone (raw.ts), timed in the same runs: the ratio
// is what the API adds to the engine's work.
import { create } from "@bufbuild/protobuf";
import { DateRangeSchema } from "@trellis/contracts";
import { resolveRange } from "@trellis/traffic-rules";
import { openDataset } from "../lib/dataset.js";
import { percentile, progress, report } from "../lib/report.js";
import { rawStatements } from "./raw.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const dataset = await openDataset({ events: EVENTS, organizations: 10, days: 120, seed: 21 });
try {
  const endDate = isoDate(dataset.end.getTime());
  const startDate = isoDate(dataset.end.getTime() - 89 * DAY);
  const q = `start_date=${startDate}&end_date=${endDate}`;
  const range = resolveRange(create(DateRangeSchema, { startDate, endDate, timeZone: "UTC" }), "range");
  const raw = await rawStatements(dataset.embedded.store, range, dataset.largest);
  const methods: Array<[string, (i: number) => string, () => Promise<number>]> = [
    ["patterns", (i) => `/api/v1/discovery/patterns?${q}&limit=${30 + i}`, raw.patterns],
    [
      "anomalies",
      (i) => `/api/v1/discovery/anomalies?${q}&group_by=day&threshold=${(4 + (i + 1) / 1000).toFixed(3)}`,
      raw.anomalies,
    ],
    ["fraud", (i) => `/api/v1/discovery/fraud?${q}&limit=${60 + i}`, raw.fraud],
  ];
  // Distinct settings per process too, so that a second run on the same data misses the cache.
  const offset = Math.floor(Math.random() * 10) * RUNS;
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, path, rawOf] of methods) {
    const times: number[] = [];
    const rawTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rawTimes.push(await rawOf());
      const started = performance.now();
      const response = await fetch(`${dataset.embedded.url}${path(offset + i)}`, {
        headers: { authorization: `Bearer ${dataset.key}` },
      });
      const body = await response.json();
      if (response.status !== 200) throw new Error(`${name} answered ${response.status}: ${JSON.stringify(body)}`);
      times.push(performance.now() - started);
    }
    progress(
      `  ${name}: ${times.map((t) => t.toFixed(0)).join(", ")} ms; raw statements ${rawTimes.map((t) => t.toFixed(0)).join(", ")} ms`,
    );
    rows.push({
      method: name,
      organization_events: dataset.largestEvents,
      days: 90,
      runs: RUNS,
      p50_ms: percentile(times, 50),
      min_ms: Math.min(...times),
      max_ms: Math.max(...times),
      raw_p50_ms: percentile(rawTimes, 50),
      ratio: percentile(times, 50) / percentile(rawTimes, 50),
    });
  }
  report("discovery-speed", rows, {
    events: EVENTS,
    reused: dataset.reused,
    data_dir: process.env.BENCH_DATA_DIR ?? "(temporary)",
  });
} finally {
  await dataset.close();
}
