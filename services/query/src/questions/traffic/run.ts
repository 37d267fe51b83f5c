import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  type GetTrafficRequest,
  type GetTrafficResponse,
  GetTrafficResponseSchema,
  Granularity,
  ResultMetaSchema,
  RunReportRequestSchema,
  TrafficPointSchema,
  TrafficTotalsSchema,
} from "@trellis/contracts";
import type { SourcePreference } from "@trellis/traffic-rules";
import { runCompiled } from "@trellis/traffic-rules";
import type { RunContext } from "../../handlers/run-context.js";
import { compileReport, reportLimits } from "../report/compile.js";
import { assertWithinLimit } from "../report/run.js";

const trafficMetrics = ["events", "clicks", "pageviews", "conversions", "revenue", "visitors", "sessions"];

type Row = Record<string, string | number>;

/** Traffic over time: a report of the traffic metrics by bucket (and optional dimensions). */
export async function runTraffic(
  ctx: RunContext,
  request: GetTrafficRequest,
  source: SourcePreference = "auto",
): Promise<GetTrafficResponse> {
  const compiled = compileReport(
    create(RunReportRequestSchema, {
      range: request.range,
      groupBy: request.groupBy === Granularity.UNSPECIFIED ? Granularity.DAY : request.groupBy,
      dimensions: request.dimensions,
      metrics: trafficMetrics,
      filters: request.filters,
      limit: reportLimits.maxRows,
    }),
    ctx.store.database,
    ctx.organizationId,
    { source, effectiveCampaign: ctx.ruleset?.effectiveCampaign },
  );
  const { rows, elapsedMs } = await runCompiled<Row>(ctx, "traffic", compiled);
  const counts = (row: Row) => ({
    events: BigInt(row.events ?? 0),
    clicks: BigInt(row.clicks ?? 0),
    pageviews: BigInt(row.pageviews ?? 0),
    conversions: BigInt(row.conversions ?? 0),
    revenue: Number(row.revenue ?? 0),
    visitors: BigInt(row.visitors ?? 0),
    sessions: BigInt(row.sessions ?? 0),
  });
  const totalRow = rows.find((r) => Number(r.__is_total) === 1);
  assertWithinLimit(compiled, rows.length - (totalRow ? 1 : 0));
  return create(GetTrafficResponseSchema, {
    points: rows
      .filter((r) => Number(r.__is_total) === 0)
      .map((row) =>
        create(TrafficPointSchema, {
          bucket: String(row.bucket),
          dimensions: Object.fromEntries(request.dimensions.map((d) => [d, String(row[d] ?? "")])),
          ...counts(row),
        }),
      ),
    totals: create(TrafficTotalsSchema, totalRow ? counts(totalRow) : {}),
    meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: compiled.table, elapsedMs }),
  });
}
