import { createHash } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import { type AnalyticsQuery, AnalyticsQuerySchema } from "@trellis/contracts";

/** Digest of the normalized question; the cache adds organization and versions itself. */
export function cacheKeyFor(query: AnalyticsQuery): string {
  const digest = createHash("sha256").update(toBinary(AnalyticsQuerySchema, query)).digest("base64url");
  return `q1:${query.kind.case ?? "none"}:${digest}`;
}
