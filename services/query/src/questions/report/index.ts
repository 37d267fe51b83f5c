import { Granularity } from "@trellis/contracts";
import { freshnessFor } from "@trellis/traffic-rules";
import type { Question } from "../question.js";
import { runReport } from "./run.js";

export const report: Question<"report"> = {
  run: (ctx, request) => runReport(ctx, request),
  freshness: (request, now) => freshnessFor(request.range?.endDate ?? "", request.groupBy || Granularity.DAY, now),
  dataRange: (request) => request.range,
};
