// Every attribution model side by side for the largest organization, uncached through the
// gateway, beside the raw engine running the path aggregation alone (the same statement the
// query service sends) in the same run.
import { cpus } from "node:os";
import { create } from "@bufbuild/protobuf";
import { DateRangeSchema } from "@trellis/contracts";
import { resolveRange } from "@trellis/traffic-rules";
import { compileDistinctPaths } from "../../services/query/src/questions/attribution/journeys.js";
import { attributionDefaults } from "../../services/query/src/questions/attribution/settings.js";
import { openDataset, timeStatement } from "../lib/dataset.js";
import { percentile, progress, report } from "../lib/report.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const DAYS = 120;

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

const dataset = await openDataset({ events: EVENTS, organizations: ORGANIZATIONS, days: DAYS, seed: 11, scale: SCALE });
const { embedded, largest, key, end } = dataset;

try {
  const endDate = end.toISOString().slice(0, 10);
  const windows = [30, 90];
  const rows: Array<Record<string, string | number>> = [];
  for (const days of windows) {
    const startDate = new Date(end.getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const range = resolveRange(create(DateRangeSchema, { startDate, endDate, timeZone: "UTC" }), "range");
    const aggregation = compileDistinctPaths(range, embedded.store.database, largest, {
      settings: attributionDefaults,
      effectiveCampaign: { sql: "campaign_id", params: {} },
      withDecay: true,
      withFraud: false,
      conversionName: "",
    });
    const path = `/api/v1/analytics/attribution/models?start_date=${startDate}&end_date=${endDate}`;

    async function api(): Promise<{ ms: number; body: { distinct_paths: string; total_conversions: number } }> {
      const started = performance.now();
      const response = await fetch(`${embedded.url}${path}`, {
        headers: { authorization: `Bearer ${key}`, "cache-control": "no-store" },
      });
      const body = (await response.json()) as { distinct_paths: string; total_conversions: number };
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
      return { ms: performance.now() - started, body };
    }
    const raw = () => timeStatement(embedded.store, aggregation, largest);

    progress(`measuring: all eight models over ${days} days (${RUNS} runs)`);
    const first = await api();
    await raw();
    const rawTimes: number[] = [];
    const apiTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rawTimes.push(await raw());
      apiTimes.push((await api()).ms);
      progress(
        `  run ${i + 1}/${RUNS}: paths ${rawTimes.at(-1)?.toFixed(0)} ms, api ${apiTimes.at(-1)?.toFixed(0)} ms`,
      );
    }
    rows.push({
      case: `all 8 models, ${days} days, 30-day lookback`,
      conversions: first.body.total_conversions,
      distinct_paths: Number(first.body.distinct_paths),
      raw_paths_p50_ms: percentile(rawTimes, 50),
      api_p50_ms: percentile(apiTimes, 50),
      api_p95_ms: percentile(apiTimes, 95),
      api_over_paths: percentile(apiTimes, 50) / percentile(rawTimes, 50),
    });
  }
  report("attribution", rows, {
    events: EVENTS * SCALE,
    generated_events: EVENTS,
    copies: SCALE,
    organizations: ORGANIZATIONS,
    largest_organization: largest,
    largest_organization_events: dataset.largestEvents,
    runs: RUNS,
    cpus: cpus().length,
    node: process.version,
    note: "api: CompareAttributionModels over REST with the cache bypassed; raw_paths: the distinct-path aggregation statement alone through the client",
  });
} finally {
  await dataset.close();
}
