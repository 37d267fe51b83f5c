import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type AnalyticsAnswer,
  AnalyticsAnswerSchema,
  type AnalyticsQuery,
  AnswerSource,
  CachePolicy,
  type Freshness,
  Granularity,
  type QueryService,
  type ResultMeta,
} from "@trellis/contracts";
import { type Logger, NotImplementedError, requireOrgContext, ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import type { CacheClient } from "../adapters/cache-client.js";
import { cacheKeyFor } from "../domain/cache-key.js";
import { createCoalescer } from "../domain/coalesce.js";
import { granularityOrDefault } from "../domain/dates.js";
import { freshnessFor } from "../domain/freshness.js";
import { runReport } from "./report.js";
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
  return answer.kind.value?.meta;
}

export function createQueryService(deps: QueryDeps): Partial<ServiceImpl<typeof QueryService>> {
  const clock = deps.clock ?? (() => new Date());
  const coalescer = createCoalescer();

  async function compute(query: AnalyticsQuery, organizationId: string, signal: AbortSignal): Promise<Computed> {
    switch (query.kind.case) {
      case "traffic": {
        const value = await runTraffic(deps.store, organizationId, query.kind.value, signal);
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
        const value = await runReport(deps.store, organizationId, query.kind.value, signal);
        const range = query.kind.value.range;
        return {
          answer: create(AnalyticsAnswerSchema, { kind: { case: "report", value } }),
          freshness: freshnessFor(range?.endDate ?? "", query.kind.value.groupBy || Granularity.DAY, clock()),
        };
      }
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
      return (await compute(query, organizationId, ctx.signal)).answer;
    }
    const key = cacheKeyFor(query);
    // Coalesce per organization and key: identical concurrent misses run once.
    return coalescer.run(`${organizationId}:${policy}:${key}`, async () => {
      const cached = await deps.cache.get(key, ctx.signal);
      if (cached?.found && policy !== CachePolicy.REFRESH) {
        const answer = fromBinary(AnalyticsAnswerSchema, cached.value);
        const meta = metaOf(answer);
        if (meta) meta.source = cached.source;
        return answer;
      }
      const computed = await compute(query, organizationId, ctx.signal);
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
        });
      }
      if (meta) meta.source = AnswerSource.STORE;
      return computed.answer;
    });
  }

  return {
    async execute(req, ctx) {
      if (!req.query) throw ValidationError.field("query", "is required");
      const answer = await execute(req.query, req.cachePolicy, ctx);
      return { answer };
    },
  };
}
