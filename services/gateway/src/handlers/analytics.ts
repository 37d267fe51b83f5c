import type { Client, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type AnalyticsAnswer,
  type AnalyticsQuery,
  type AnalyticsService,
  CachePolicy,
  type QueryService,
} from "@trellis/contracts";
import { orgCallOptions, requireOrgScope } from "@trellis/platform";

type QueryKind = NonNullable<AnalyticsQuery["kind"]["case"]>;
type QueryValue<K extends QueryKind> = Extract<AnalyticsQuery["kind"], { case: K }>["value"];
type AnswerValue<K extends QueryKind> = Extract<AnalyticsAnswer["kind"], { case: K }>["value"];

/** `Cache-Control: no-cache` recomputes and refreshes; `no-store` bypasses the cache entirely. */
export function cachePolicyFrom(header: Headers): CachePolicy {
  const value = header.get("cache-control")?.toLowerCase() ?? "";
  if (value.includes("no-store")) return CachePolicy.BYPASS;
  if (value.includes("no-cache")) return CachePolicy.REFRESH;
  return CachePolicy.USE;
}

/**
 * Options of a call to the query service for the request's organization: its verified scope
 * (taken from the call's context values, passed on explicitly), cancellation and deadline.
 */
function queryCallOptions(ctx: HandlerContext) {
  const timeoutMs = ctx.timeoutMs();
  return {
    signal: ctx.signal,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...orgCallOptions(requireOrgScope(ctx.values)),
  };
}

const MIN_WATCH_INTERVAL_SECONDS = 1;
const DEFAULT_WATCH_INTERVAL_SECONDS = 5;

/** The public analytics API: each question goes to the query service for the caller's organization. */
export function createAnalyticsService(
  query: Client<typeof QueryService>,
): Partial<ServiceImpl<typeof AnalyticsService>> {
  async function ask<K extends QueryKind>(kind: K, value: QueryValue<K>, ctx: HandlerContext): Promise<AnswerValue<K>> {
    const response = await query.execute(
      {
        query: { kind: { case: kind, value } as AnalyticsQuery["kind"] },
        cachePolicy: cachePolicyFrom(ctx.requestHeader),
      },
      queryCallOptions(ctx),
    );
    const answer = response.answer?.kind;
    if (!answer || answer.case !== kind) {
      throw new ConnectError(
        `query service answered ${answer?.case ?? "nothing"} to a ${kind} question`,
        Code.Internal,
      );
    }
    return answer.value as AnswerValue<K>;
  }

  return {
    getTraffic: (req, ctx) => ask("traffic", req, ctx),
    getCampaignPerformance: (req, ctx) => ask("campaignPerformance", req, ctx),
    getClickAttribution: (req, ctx) => ask("clickAttribution", req, ctx),
    compareAttributionModels: (req, ctx) => ask("attributionComparison", req, ctx),
    getFunnel: (req, ctx) => ask("funnel", req, ctx),
    getCohorts: (req, ctx) => ask("cohorts", req, ctx),
    getRealtime: (req, ctx) => ask("realtime", req, ctx),
    runReport: (req, ctx) => ask("report", req, ctx),
    runSql: (req, ctx) => ask("sql", req, ctx),
    getCatalog: (req, ctx) => ask("catalog", req, ctx),
    async *streamReport(req, ctx) {
      for await (const response of query.executeStream({ report: req }, queryCallOptions(ctx))) {
        if (response.chunk) yield response.chunk;
      }
    },
    async *watchRealtime(req, ctx) {
      const intervalSeconds = Math.max(
        MIN_WATCH_INTERVAL_SECONDS,
        req.intervalSeconds || DEFAULT_WATCH_INTERVAL_SECONDS,
      );
      while (!ctx.signal.aborted) {
        const snapshot = await ask(
          "realtime",
          { $typeName: "trellis.warehouse.v1.GetRealtimeRequest", lastMinutes: req.lastMinutes, metrics: req.metrics },
          ctx,
        );
        yield { snapshot };
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, intervalSeconds * 1000);
          ctx.signal.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    },
  };
}
