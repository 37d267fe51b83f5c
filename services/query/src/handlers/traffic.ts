import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  type GetTrafficRequest,
  type GetTrafficResponse,
  GetTrafficResponseSchema,
  ResultMetaSchema,
  TrafficPointSchema,
  TrafficTotalsSchema,
} from "@trellis/contracts";
import type { Store } from "@trellis/store";
import { compileTraffic } from "../domain/traffic.js";

interface TrafficRow {
  bucket: string;
  events: string;
  clicks: string;
  pageviews: string;
  conversions: string;
  revenue: number;
  visitors: string;
  sessions: string;
  is_total: number;
  [dimension: string]: unknown;
}

export async function runTraffic(
  store: Store,
  organizationId: string,
  request: GetTrafficRequest,
  signal?: AbortSignal,
): Promise<GetTrafficResponse> {
  const compiled = compileTraffic(request, store.database, organizationId);
  const { rows, elapsedMs } = await store.query<TrafficRow>({
    name: "traffic",
    sql: compiled.sql,
    params: compiled.params,
    organizationId,
    signal,
  });
  const counts = (row: TrafficRow) => ({
    events: BigInt(row.events),
    clicks: BigInt(row.clicks),
    pageviews: BigInt(row.pageviews),
    conversions: BigInt(row.conversions),
    revenue: Number(row.revenue),
    visitors: BigInt(row.visitors),
    sessions: BigInt(row.sessions),
  });
  const totalRow = rows.find((r) => Number(r.is_total) === 1);
  const points = rows
    .filter((r) => Number(r.is_total) === 0)
    .map((row) =>
      create(TrafficPointSchema, {
        bucket: row.bucket,
        dimensions: Object.fromEntries(compiled.dimensions.map((d) => [d, String(row[d] ?? "")])),
        ...counts(row),
      }),
    );
  return create(GetTrafficResponseSchema, {
    points,
    totals: create(TrafficTotalsSchema, totalRow ? counts(totalRow) : {}),
    meta: create(ResultMetaSchema, {
      source: AnswerSource.STORE,
      table: "analytics_events",
      elapsedMs,
    }),
  });
}
