import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  CampaignPerformanceRowSchema,
  CohortMetric,
  CohortSchema,
  FunnelStepResultSchema,
  type GetCampaignPerformanceRequest,
  type GetCampaignPerformanceResponse,
  GetCampaignPerformanceResponseSchema,
  type GetCohortsRequest,
  type GetCohortsResponse,
  GetCohortsResponseSchema,
  type GetFunnelRequest,
  type GetFunnelResponse,
  GetFunnelResponseSchema,
  type GetRealtimeRequest,
  type GetRealtimeResponse,
  GetRealtimeResponseSchema,
  RealtimePointSchema,
  ResultMetaSchema,
} from "@trellis/contracts";
import { echo, ValidationError } from "@trellis/platform";
import { compileCampaignPerformance } from "../domain/campaign-performance.js";
import { campaignNames } from "../domain/campaigns/ruleset.js";
import { compileCohorts } from "../domain/cohorts.js";
import { compileFunnel } from "../domain/funnel.js";
import { compileRealtime } from "../domain/realtime.js";
import { type RunContext, runCompiled } from "./run-context.js";

/** The metrics a campaign performance question may name (all of them when it names none). */
const campaignPerformanceMetrics = [
  "clicks",
  "sessions",
  "unique_clicks",
  "conversions",
  "revenue",
  "conversion_rate",
  "average_order_value",
  "average_session_duration_seconds",
  "bounce_rate",
  "average_fraud_score",
  "average_quality_score",
];

const meta = (elapsedMs: number) =>
  create(ResultMetaSchema, { source: AnswerSource.STORE, table: "analytics_events", elapsedMs });

export async function runCampaignPerformance(
  ctx: RunContext,
  request: GetCampaignPerformanceRequest,
): Promise<GetCampaignPerformanceResponse> {
  const unknown = request.metrics.find((m) => !campaignPerformanceMetrics.includes(m));
  if (unknown !== undefined) {
    throw ValidationError.field(
      "metrics",
      `unknown metric ${echo(unknown)}; expected some of ${campaignPerformanceMetrics.join(", ")}`,
    );
  }
  const compiled = compileCampaignPerformance(
    request,
    ctx.store.database,
    ctx.organizationId,
    ctx.ruleset?.effectiveCampaign,
  );
  const names = ctx.ruleset ? campaignNames(ctx.ruleset.ruleset) : new Map<string, string>();
  const { rows, elapsedMs } = await runCompiled<Record<string, string | number>>(
    ctx,
    "campaign-performance",
    compiled,
    { join_use_nulls: 0 },
  );
  const wanted = new Set(request.metrics);
  const pick = (name: string, value: number) => (wanted.size === 0 || wanted.has(name) ? value : 0);
  return create(GetCampaignPerformanceResponseSchema, {
    rows: rows.map((r) =>
      create(CampaignPerformanceRowSchema, {
        campaignId: String(r.campaign_id),
        campaignName: names.get(String(r.campaign_id)) ?? String(r.campaign_id),
        bucket: String(r.bucket),
        clicks: BigInt(pick("clicks", Number(r.clicks))),
        sessions: BigInt(pick("sessions", Number(r.sessions))),
        uniqueClicks: BigInt(pick("unique_clicks", Number(r.unique_clicks))),
        conversions: BigInt(pick("conversions", Number(r.conversions))),
        revenue: pick("revenue", Number(r.revenue)),
        conversionRate: pick("conversion_rate", Number(r.conversion_rate)),
        averageOrderValue: pick("average_order_value", Number(r.average_order_value)),
        averageSessionDurationSeconds: pick(
          "average_session_duration_seconds",
          Number(r.average_session_duration_seconds),
        ),
        bounceRate: pick("bounce_rate", Number(r.bounce_rate)),
        averageFraudScore: pick("average_fraud_score", Number(r.average_fraud_score)),
        averageQualityScore: pick("average_quality_score", Number(r.average_quality_score)),
      }),
    ),
    meta: meta(elapsedMs),
  });
}

export async function runRealtime(
  ctx: RunContext,
  request: GetRealtimeRequest,
  now: Date,
): Promise<GetRealtimeResponse> {
  const compiled = compileRealtime(request, ctx.store.database, ctx.organizationId);
  const { rows, elapsedMs } = await runCompiled<Record<string, string | number>>(ctx, "realtime", compiled);
  const values = (row: Record<string, string | number> | undefined) =>
    Object.fromEntries(compiled.metrics.map((m) => [m.name, Number(row?.[m.name] ?? 0)]));
  const byMinute = new Map(rows.filter((r) => Number(r.__is_total) === 0).map((r) => [String(r.minute), r]));
  const currentMinute = Math.floor(now.getTime() / 60_000) * 60_000;
  const points = [];
  for (let i = compiled.lastMinutes - 1; i >= 0; i--) {
    const minute = `${new Date(currentMinute - i * 60_000).toISOString().slice(0, 16)}:00Z`;
    points.push(create(RealtimePointSchema, { minute, values: values(byMinute.get(minute)) }));
  }
  return create(GetRealtimeResponseSchema, {
    points,
    totals: values(rows.find((r) => Number(r.__is_total) === 1)),
    meta: meta(elapsedMs),
  });
}

export async function runFunnel(ctx: RunContext, request: GetFunnelRequest): Promise<GetFunnelResponse> {
  const compiled = compileFunnel(request, ctx.store.database, ctx.organizationId);
  const { rows, elapsedMs } = await runCompiled<{ level: number; journeys: string }>(ctx, "funnel", compiled);
  // A journey at level L passed steps 1..L: step i counts the journeys at level i or more.
  const atLeast = compiled.steps.map((_, i) =>
    rows.filter((r) => Number(r.level) >= i + 1).reduce((sum, r) => sum + Number(r.journeys), 0),
  );
  const first = atLeast[0] ?? 0;
  return create(GetFunnelResponseSchema, {
    steps: compiled.steps.map((name, i) => {
      const count = atLeast[i] ?? 0;
      const previous = i === 0 ? count : (atLeast[i - 1] ?? 0);
      return create(FunnelStepResultSchema, {
        name,
        count: BigInt(count),
        conversionFromPrevious: previous === 0 ? 0 : count / previous,
        conversionFromFirst: first === 0 ? 0 : count / first,
        dropOff: BigInt(previous - count),
      });
    }),
    meta: meta(elapsedMs),
  });
}

export async function runCohorts(ctx: RunContext, request: GetCohortsRequest): Promise<GetCohortsResponse> {
  const compiled = compileCohorts(request, ctx.store.database, ctx.organizationId);
  const { rows, elapsedMs } = await runCompiled<{ cohort: string; period: number; visitors: string; revenue: number }>(
    ctx,
    "cohorts",
    compiled,
  );
  const cohorts = new Map<string, { visitors: number[]; revenue: number[] }>();
  for (const row of rows) {
    const entry = cohorts.get(row.cohort) ?? {
      visitors: new Array<number>(compiled.periods).fill(0),
      revenue: new Array<number>(compiled.periods).fill(0),
    };
    entry.visitors[Number(row.period)] = Number(row.visitors);
    entry.revenue[Number(row.period)] = Number(row.revenue);
    cohorts.set(row.cohort, entry);
  }
  return create(GetCohortsResponseSchema, {
    cohorts: [...cohorts.entries()].map(([cohort, entry]) => {
      const size = entry.visitors[0] ?? 0;
      return create(CohortSchema, {
        cohort,
        size: BigInt(size),
        values: compiled.metric === CohortMetric.REVENUE ? entry.revenue : entry.visitors,
        retention: entry.visitors.map((v) => (size === 0 ? 0 : v / size)),
      });
    }),
    meta: meta(elapsedMs),
  });
}
