import { create } from "@bufbuild/protobuf";
import {
  FunnelStepResultSchema,
  type GetFunnelRequest,
  type GetFunnelResponse,
  GetFunnelResponseSchema,
} from "@trellis/contracts";
import { runCompiled } from "@trellis/traffic-rules";
import { storeMeta as meta, type RunContext } from "../../handlers/run-context.js";
import { compileFunnel } from "./compile.js";

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
