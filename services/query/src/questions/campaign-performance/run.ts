import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  CampaignPerformanceRowSchema,
  type GetCampaignPerformanceRequest,
  type GetCampaignPerformanceResponse,
  GetCampaignPerformanceResponseSchema,
  ResultMetaSchema,
} from "@trellis/contracts";
import { echo, ValidationError } from "@trellis/platform";
import { campaignNames, runCompiled } from "@trellis/traffic-rules";
import { storeMeta as meta, type RunContext } from "../../handlers/run-context.js";
import { campaignPerformanceFromBigQuery } from "./bigquery.js";
import { compileCampaignPerformance } from "./compile.js";

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
  // Long ranges from BigQuery when it holds every day at the store's current version (the same
  // answer, computed there); otherwise, and whenever BigQuery fails, from the store.
  const fromBigQuery = await campaignPerformanceFromBigQuery(ctx, request, compiled.range);
  const { rows, elapsedMs } =
    fromBigQuery ??
    (await runCompiled<Record<string, string | number>>(ctx, "campaign-performance", compiled, {
      join_use_nulls: 0,
    }));
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
    meta: fromBigQuery
      ? create(ResultMetaSchema, {
          source: AnswerSource.BIGQUERY,
          table: "bigquery:campaign_sessions_daily",
          elapsedMs,
        })
      : meta(elapsedMs),
  });
}
