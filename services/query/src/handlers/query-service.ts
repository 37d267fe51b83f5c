import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type AnalyticsAnswer,
  AnalyticsAnswerSchema,
  type AnalyticsQuery,
  AnswerSource,
  CachePolicy,
  Freshness,
  Granularity,
  type QueryService,
  type ResultMeta,
} from "@trellis/contracts";
import { type Logger, NotImplementedError, requireOrgContext, ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import type { CacheClient } from "../adapters/cache-client.js";
import { cacheKeyFor, dataRangeOf } from "../domain/cache-key.js";
import { describeCatalog } from "../domain/catalogue-response.js";
import { createCoalescer } from "../domain/coalesce.js";
import { granularityOrDefault } from "../domain/dates.js";
import { freshnessFor } from "../domain/freshness.js";
import { runCampaignPerformance, runCohorts, runFunnel, runRealtime } from "./questions.js";
import { runReport, streamReport } from "./report.js";
import type { RunContext } from "./run-context.js";
import { runSql } from "./sql.js";
import { runTraffic } from "./traffic.js";

export interface QueryDeps {
  store: Store;
  cache: CacheClient;
  logger: Logger;
  clock?: () => Date;
}

interface Computed {
  answer: AnalyticsAnswer;
  freshness: Freshness;
}

function metaOf(answer: AnalyticsAnswer): ResultMeta | undefined {
  const value = answer.kind.value;
  return value && "meta" in value ? value.meta : undefined;
}

export function createQueryService(deps: QueryDeps): Partial<ServiceImpl<typeof QueryService>> {
  const clock = deps.clock ?? (() => new Date());
  const coalescer = createCoalescer();

  async function compute(
    query: AnalyticsQuery,
    organizationId: string,
    signal: AbortSignal,
    deadlineMs?: number,
  ): Promise<Computed> {
    const run: RunContext = { store: deps.store, organizationId, signal, deadlineMs };
    switch (query.kind.case) {
      case "traffic": {
        const value = await runTraffic(run, query.kind.value);
        const range = query.kind.value.range;
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "traffic", value } }),
          freshness: freshnessFor(
            range?.endDate ?? "",
            granularityOrDefault(query.kind.value.groupBy, Granularity.DAY),
            clock(),
          ),
        };
      }
      case "report": {
        const value = await runReport(run, query.kind.value);
        const range = query.kind.value.range;
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "report", value } }),
          freshness: freshnessFor(range?.endDate ?? "", query.kind.value.groupBy || Granularity.DAY, clock()),
        };
      }
      case "campaignPerformance": {
        const value = await runCampaignPerformance(run, query.kind.value);
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "campaignPerformance", value } }),
          freshness: freshnessFor(query.kind.value.range?.endDate ?? "", Granularity.DAY, clock()),
        };
      }
      case "funnel": {
        const value = await runFunnel(run, query.kind.value);
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "funnel", value } }),
          freshness: freshnessFor(query.kind.value.range?.endDate ?? "", Granularity.DAY, clock()),
        };
      }
      case "cohorts": {
        const value = await runCohorts(run, query.kind.value);
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "cohorts", value } }),
          freshness: freshnessFor(query.kind.value.range?.endDate ?? "", Granularity.DAY, clock()),
        };
      }
      case "realtime": {
        const value = await runRealtime(run, query.kind.value, clock());
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "realtime", value } }),
          freshness: Freshness.REALTIME,
        };
      }
      case "sql": {
        const value = await runSql(run, query.kind.value);
        return { answer: create(AnalyticsAnswerSchema, { kind: { case: "sql", value } }), freshness: Freshness.HOURLY };
      }
      case "catalog":
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "catalog", value: describeCatalog() } }),
          freshness: Freshness.HISTORICAL,
        };
      case undefined:
        throw ValidationError.field("query", "is required");
      default:
        throw new NotImplementedError(`${query.kind.case} queries are not served by this version of the query service`);
    }
  }

  async function execute(query: AnalyticsQuery, policy: CachePolicy, ctx: HandlerContext): Promise<AnalyticsAnswer> {
    const org = requireOrgContext(ctx.values);
    const organizationId = org.organizationId;
    if (policy === CachePolicy.BYPASS) {
      return (await compute(query, organizationId, ctx.signal, ctx.timeoutMs())).answer;
    }
    const key = cacheKeyFor(query);
    // Coalesce per organization and key: identical concurrent misses run once.
    // The shared work must not die with whichever caller started it: it is bounded by that
    // caller's deadline instead of its cancellation.
    const deadlineMs = ctx.timeoutMs();
    const shared = deadlineMs !== undefined ? AbortSignal.timeout(deadlineMs) : new AbortController().signal;
    return coalescer.run(`${organizationId}:${policy}:${key}`, async () => {
      const dataRange = dataRangeOf(query, clock());
      const cached = await deps.cache.get(key, dataRange, shared);
      if (cached?.found && policy !== CachePolicy.REFRESH) {
        const answer = fromBinary(AnalyticsAnswerSchema, cached.value);
        const meta = metaOf(answer);
        if (meta) meta.source = cached.source;
        return answer;
      }
      const computed = await compute(query, organizationId, shared, deadlineMs);
      const meta = metaOf(computed.answer);
      if (meta && cached) {
        meta.dataVersion = cached.dataVersion;
        meta.rulesetVersion = cached.rulesetVersion;
      }
      if (cached) {
        await deps.cache.set({
          key,
          value: toBinary(AnalyticsAnswerSchema, computed.answer),
          freshness: computed.freshness,
          dataVersion: cached.dataVersion,
          rulesetVersion: cached.rulesetVersion,
          dataRange,
        });
      }
      if (meta) meta.source = AnswerSource.STORE;
      return computed.answer;
    });
  }

  return {
    async *executeStream(req, ctx) {
      const org = requireOrgContext(ctx.values);
      const report = req.report?.report;
      if (!report) throw ValidationError.field("report", "is required");
      const chunkRows = Math.min(Math.max(req.report?.chunkRows || 10_000, 1), 100_000);
      yield* streamReport(
        { store: deps.store, organizationId: org.organizationId, signal: ctx.signal, deadlineMs: ctx.timeoutMs() },
        report,
        chunkRows,
      );
    },

    async execute(req, ctx) {
      if (!req.query) throw ValidationError.field("query", "is required");
      const answer = await execute(req.query, req.cachePolicy, ctx);
      return { answer };
    },
  };
}
