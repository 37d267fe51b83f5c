import { createHash } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { type AnalyticsQuery, AnalyticsQuerySchema, type DateRange, DateRangeSchema } from "@trellis/contracts";

/** Digest of the normalized question; the cache adds organization and versions itself. */
export function cacheKeyFor(query: AnalyticsQuery): string {
  const digest = createHash("sha256").update(toBinary(AnalyticsQuerySchema, query)).digest("base64url");
  return `q1:${query.kind.case ?? "none"}:${digest}`;
}

/**
 * The dates of data a question reads, when they are known, so that new data on other dates
 * leaves its cached answer reachable. Realtime reads today (and yesterday, across midnight).
 */
export function dataRangeOf(query: AnalyticsQuery, now: Date): DateRange | undefined {
  switch (query.kind.case) {
    case "traffic":
    case "report":
    case "campaignPerformance":
    case "funnel":
    case "cohorts":
    case "attributionComparison":
      return query.kind.value.range;
    case "realtime": {
      const today = now.toISOString().slice(0, 10);
      const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
      return create(DateRangeSchema, { startDate: yesterday, endDate: today, timeZone: "UTC" });
    }
    default:
      return undefined;
  }
}
