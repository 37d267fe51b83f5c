import { Granularity } from "@trellis/contracts";
import { freshnessFor, granularityOrDefault } from "@trellis/traffic-rules";
import type { Question } from "../question.js";
import { runTraffic } from "./run.js";

export const traffic: Question<"traffic"> = {
  run: (ctx, request) => runTraffic(ctx, request),
  freshness: (request, now) =>
    freshnessFor(request.range?.endDate ?? "", granularityOrDefault(request.groupBy, Granularity.DAY), now),
  dataRange: (request) => request.range,
};
