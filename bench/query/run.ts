// Query latency through the gateway beside the raw ClickHouse statement that gives the same
// answer, in one process (the embedded engine holds its data directory): p50/p95 cold (cache
// bypassed) and warm, the ratio API/raw, and the rollup speed-up for dashboard queries.
import { cpus } from "node:os";
import { create } from "@bufbuild/protobuf";
import {
  FunnelStepSchema,
  GetCampaignPerformanceRequestSchema,
  GetCohortsRequestSchema,
  GetFunnelRequestSchema,
  Granularity,
  RunReportRequestSchema,
} from "@trellis/contracts";
import { compileCampaignPerformance } from "../../services/query/src/questions/campaign-performance/compile.js";
import { compileCohorts } from "../../services/query/src/questions/cohorts/compile.js";
import { compileFunnel } from "../../services/query/src/questions/funnel/compile.js";
import { compileReport } from "../../services/query/src/questions/report/compile.js";
import { openDataset, timeStatement } from "../lib/dataset.js";
import { percentile, progress, report } from "../lib/report.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const DAYS = 120;

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

const dataset = await openDataset({ events: EVENTS, organizations: ORGANIZATIONS, days: DAYS, seed: 11, scale: SCALE });
const { embedded, largest, key, end, largestEvents } = dataset;

try {
  const endDate = end.toISOString().slice(0, 10);
  const startDate = new Date(end.getTime() - 89 * 86_400_000).toISOString().slice(0, 10);
  const range = { startDate, endDate, timeZone: "UTC" };
  const db = embedded.store.database;

  const cases: Array<{
    name: string;
    path: string;
    body?: unknown;
    raw: { sql: string; params: Record<string, unknown> };
  }> = [
    {
      name: "traffic, 90 days by day",
      path: `/api/v1/analytics/traffic?start_date=${startDate}&end_date=${endDate}&group_by=day`,
      raw: compileReport(
        create(RunReportRequestSchema, {
          range,
          groupBy: Granularity.DAY,
          metrics: ["events", "clicks", "pageviews", "conversions", "revenue", "visitors", "sessions"],
          limit: 100_000,
        }),
        db,
        largest,
      ),
    },
    {
      name: "report, source x country, 90 days",
      path: "/api/v1/analytics/query",
      body: {
        dimensions: ["source", "country"],
        metrics: ["events", "conversions", "revenue", "visitors"],
        time_range: { start: startDate, end: endDate },
        order_by: [{ field: "revenue", direction: "desc" }],
        limit: 100,
      },
      raw: compileReport(
        create(RunReportRequestSchema, {
          range,
          dimensions: ["source", "country"],
          metrics: ["events", "conversions", "revenue", "visitors"],
          orderBy: [{ field: "revenue", direction: 2 }],
          limit: 100,
        }),
        db,
        largest,
      ),
    },
    {
      name: "campaign performance, 90 days",
      path: `/api/v1/analytics/campaigns?start_date=${startDate}&end_date=${endDate}`,
      raw: compileCampaignPerformance(create(GetCampaignPerformanceRequestSchema, { range }), db, largest),
    },
    {
      name: "funnel pageview > click > conversion, 30 days",
      path: `/api/v1/analytics/funnel?start_date=${new Date(end.getTime() - 29 * 86_400_000).toISOString().slice(0, 10)}&end_date=${endDate}&steps=pageview,click,conversion&window=7d`,
      raw: compileFunnel(
        create(GetFunnelRequestSchema, {
          range: { ...range, startDate: new Date(end.getTime() - 29 * 86_400_000).toISOString().slice(0, 10) },
          steps: ["pageview", "click", "conversion"].map((name) => create(FunnelStepSchema, { name })),
          windowSeconds: 7 * 86_400,
        }),
        db,
        largest,
      ),
    },
    {
      name: "cohorts weekly, 12 periods",
      path: `/api/v1/analytics/cohorts?cohort_type=weekly&periods=12&start_date=${new Date(end.getTime() - 83 * 86_400_000).toISOString().slice(0, 10)}&end_date=${endDate}`,
      raw: compileCohorts(
        create(GetCohortsRequestSchema, {
          range: { ...range, startDate: new Date(end.getTime() - 83 * 86_400_000).toISOString().slice(0, 10) },
          cohortType: Granularity.WEEK,
          periods: 12,
        }),
        db,
        largest,
      ),
    },
  ];

  async function api(path: string, body: unknown, bypass: boolean): Promise<number> {
    const started = performance.now();
    const response = await fetch(`${embedded.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        ...(bypass ? { "cache-control": "no-store" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    return performance.now() - started;
  }
  const raw = (statement: { sql: string; params: Record<string, unknown> }) =>
    timeStatement(embedded.store, statement, largest);

  const rows: Array<Record<string, string | number>> = [];
  for (const c of cases) {
    progress(`measuring: ${c.name}`);
    await api(c.path, c.body, true);
    await raw(c.raw);
    const rawTimes: number[] = [];
    const cold: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rawTimes.push(await raw(c.raw));
      cold.push(await api(c.path, c.body, true));
    }
    await api(c.path, c.body, false);
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await api(c.path, c.body, false));
    rows.push({
      case: c.name,
      source: (c.raw as { table?: string }).table ?? "analytics_events",
      raw_p50_ms: percentile(rawTimes, 50),
      cold_p50_ms: percentile(cold, 50),
      cold_p95_ms: percentile(cold, 95),
      warm_p50_ms: percentile(warm, 50),
      warm_p95_ms: percentile(warm, 95),
      api_over_raw: percentile(cold, 50) / percentile(rawTimes, 50),
    });
  }

  const dashboards: Array<{ label: string; metrics: string[] }> = [
    { label: "counts and revenue", metrics: ["events", "clicks", "conversions", "revenue"] },
    {
      label: "with distinct visitors and sessions",
      metrics: ["events", "conversions", "revenue", "visitors", "sessions"],
    },
  ];
  for (const dashboard of dashboards) {
    progress(`measuring: rollup speed-up, dashboard ${dashboard.label}`);
    const request = create(RunReportRequestSchema, {
      range,
      groupBy: Granularity.DAY,
      metrics: dashboard.metrics,
      limit: 100_000,
    });
    const routed = compileReport(request, db, largest);
    const forcedRaw = compileReport(request, db, largest, { source: "raw" });
    const routedTimes: number[] = [];
    const rawTimes: number[] = [];
    await raw(routed);
    await raw(forcedRaw);
    for (let i = 0; i < RUNS; i++) {
      routedTimes.push(await raw(routed));
      rawTimes.push(await raw(forcedRaw));
    }
    rows.push({
      case: `dashboard, 90 days daily, ${dashboard.label}: ${routed.table} vs raw events`,
      source: routed.table,
      raw_p50_ms: percentile(rawTimes, 50),
      cold_p50_ms: percentile(routedTimes, 50),
      cold_p95_ms: percentile(routedTimes, 95),
      warm_p50_ms: "",
      warm_p95_ms: "",
      api_over_raw: percentile(rawTimes, 50) / percentile(routedTimes, 50),
    });
  }
  report("query", rows, {
    events: EVENTS * SCALE,
    generated_events: EVENTS,
    copies: SCALE,
    organizations: ORGANIZATIONS,
    largest_organization_events: largestEvents,
    runs: RUNS,
    cpus: cpus().length,
    node: process.version,
    note: "dashboard rows: cold_p50_ms is the rollup statement, api_over_raw holds the rollup speed-up (raw / rollup)",
  });
} finally {
  await dataset.close();
}
