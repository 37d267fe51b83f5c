import { create } from "@bufbuild/protobuf";
import {
  type GetRealtimeRequest,
  type GetRealtimeResponse,
  GetRealtimeResponseSchema,
  RealtimePointSchema,
} from "@trellis/contracts";
import { runCompiled } from "@trellis/traffic-rules";
import { storeMeta as meta, type RunContext } from "../../handlers/run-context.js";
import { compileRealtime } from "./compile.js";

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
