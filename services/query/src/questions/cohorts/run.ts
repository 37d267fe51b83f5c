import { create } from "@bufbuild/protobuf";
import {
  CohortMetric,
  CohortSchema,
  type GetCohortsRequest,
  type GetCohortsResponse,
  GetCohortsResponseSchema,
} from "@trellis/contracts";
import { runCompiled } from "@trellis/traffic-rules";
import { storeMeta as meta, type RunContext } from "../../handlers/run-context.js";
import { compileCohorts } from "./compile.js";

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
