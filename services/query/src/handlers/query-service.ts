import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type AnalyticsAnswer,
  AnalyticsAnswerSchema,
  type AnalyticsQuery,
  AnswerSource,
  CachePolicy,
  type DateRange,
  type Freshness,
  type QueryService,
  type ResultMeta,
} from "@trellis/contracts";
import {
  type CacheClient,
  type Logger,
  linkSharedCopy,
  requireOrgContext,
  requireOrgScope,
  ValidationError,
} from "@trellis/platform";
import type { Store } from "@trellis/store";
import type { BigQueryReadPath } from "../adapters/bigquery-read-path.js";
import { cacheKeyFor } from "../domain/cache-key.js";
import { createCoalescer } from "../domain/coalesce.js";
import { asOfRulesetVersion } from "../domain/ruleset-version.js";
import { createQuestions, type Question } from "../questions/index.js";
import type { RequestOf } from "../questions/question.js";
import { streamReport } from "../questions/report/run.js";
import type { ActiveRuleset, RulesetProvider } from "./rulesets.js";
import type { RunContext } from "./run-context.js";

export interface QueryDeps {
  store: Store;
  cache: CacheClient;
  rulesets: RulesetProvider;
  logger: Logger;
  clock?: () => Date;
  /** The BigQuery read path, when configured. */
  bigquery?: BigQueryReadPath;
}

/** The ruleset version a question asks for (0 = current), refused when no version can be it. */
function asOfVersionOf(query: AnalyticsQuery): number {
  const value = query.kind.value;
  return value && "asOfRulesetVersion" in value ? asOfRulesetVersion(value.asOfRulesetVersion) : 0;
}

interface Computed {
  answer: AnalyticsAnswer;
  freshness: Freshness;
}

/** A copy of the answer sharing its rows, with a meta of its own to stamp. */
function withOwnMeta(answer: AnalyticsAnswer, source: AnswerSource): AnalyticsAnswer {
  const value = answer.kind.value;
  if (!value || !("meta" in value) || !value.meta) return answer;
  return {
    ...answer,
    kind: { ...answer.kind, value: linkSharedCopy({ ...value, meta: { ...value.meta, source } }, value) },
  } as AnalyticsAnswer;
}

function metaOf(answer: AnalyticsAnswer): ResultMeta | undefined {
  const value = answer.kind.value;
  return value && "meta" in value ? value.meta : undefined;
}

export function createQueryService(deps: QueryDeps): Partial<ServiceImpl<typeof QueryService>> {
  const clock = deps.clock ?? (() => new Date());
  const coalescer = createCoalescer();
  const questions = createQuestions();
  // An in-process cache hands back the same bytes for every hit of an entry: decoding them
  // once per entry, not once per hit, is most of what a cached answer costs here.
  const decoded = new WeakMap<Uint8Array, AnalyticsAnswer>();

  async function compute(
    query: AnalyticsQuery,
    organizationId: string,
    signal: AbortSignal,
    deadlineMs: number | undefined,
    ruleset: ActiveRuleset,
  ): Promise<Computed> {
    const run: RunContext = { store: deps.store, organizationId, signal, deadlineMs, ruleset, bigquery: deps.bigquery };
    const kind = query.kind.case;
    if (kind === undefined) throw ValidationError.field("query", "is required");
    // One entry of the table per oneof case: the request, the question and its answer agree.
    const question = questions[kind] as Question<typeof kind>;
    const request = query.kind.value as RequestOf<typeof kind>;
    const now = clock();
    const value = await question.run(run, request, now);
    return {
      answer: create(AnalyticsAnswerSchema, { kind: { case: kind, value } as AnalyticsAnswer["kind"] }),
      freshness: question.freshness(request, now),
    };
  }

  /** The dates of data a question reads, when they are known (see Question.dataRange). */
  function dataRangeOf(query: AnalyticsQuery, now: Date): DateRange | undefined {
    const kind = query.kind.case;
    if (kind === undefined) return undefined;
    return (questions[kind] as Question<typeof kind>).dataRange(query.kind.value as RequestOf<typeof kind>, now);
  }

  async function execute(query: AnalyticsQuery, policy: CachePolicy, ctx: HandlerContext): Promise<AnalyticsAnswer> {
    const scope = requireOrgScope(ctx.values);
    const organizationId = scope.context.organizationId;
    const ruleset = await deps.rulesets.resolve(organizationId, asOfVersionOf(query), ctx.signal);
    const withRuleset = (answer: AnalyticsAnswer) => {
      const meta = metaOf(answer);
      if (meta) meta.rulesetVersion = BigInt(ruleset.ruleset.version);
      return answer;
    };
    if (policy === CachePolicy.BYPASS) {
      return withRuleset((await compute(query, organizationId, ctx.signal, ctx.timeoutMs(), ruleset)).answer);
    }
    // The ruleset an answer was computed under is part of its key: a campaign change makes
    // every answer of the old ruleset unreachable, and an as-of answer never goes stale by it.
    const key = `${cacheKeyFor(query)}:r${ruleset.ruleset.version}`;
    // Coalesce per organization and key: identical concurrent misses run once.
    // The shared work must not die with whichever caller started it: it is bounded by that
    // caller's deadline instead of its cancellation.
    const deadlineMs = ctx.timeoutMs();
    return coalescer.run(`${organizationId}:${policy}:${key}`, async () => {
      const dataRange = dataRangeOf(query, clock());
      // A cache read is bounded by the cache client's own time-out; the deadline signal is
      // made only for work that reaches the store.
      const cached = await deps.cache.get(scope, key, dataRange);
      if (cached?.found && policy !== CachePolicy.REFRESH) {
        let answer = decoded.get(cached.value);
        if (!answer) {
          answer = fromBinary(AnalyticsAnswerSchema, cached.value);
          decoded.set(cached.value, answer);
        }
        return withRuleset(withOwnMeta(answer, cached.source));
      }
      const work = deadlineMs !== undefined ? AbortSignal.timeout(deadlineMs) : new AbortController().signal;
      const computed = await compute(query, organizationId, work, deadlineMs, ruleset);
      const meta = metaOf(computed.answer);
      if (meta && cached) meta.dataVersion = cached.dataVersion;
      withRuleset(computed.answer);
      if (cached) {
        await deps.cache.set(scope, {
          key,
          value: toBinary(AnalyticsAnswerSchema, computed.answer),
          freshness: computed.freshness,
          dataVersion: cached.dataVersion,
          rulesetVersion: cached.rulesetVersion,
          dataRange,
        });
      }
      // The question names where it computed the answer (the store, or BigQuery).
      if (meta && meta.source === AnswerSource.UNSPECIFIED) meta.source = AnswerSource.STORE;
      return computed.answer;
    });
  }

  return {
    async *executeStream(req, ctx) {
      const org = requireOrgContext(ctx.values);
      const report = req.report?.report;
      if (!report) throw ValidationError.field("report", "is required");
      const chunkRows = Math.min(Math.max(req.report?.chunkRows || 10_000, 1), 100_000);
      const ruleset = await deps.rulesets.resolve(
        org.organizationId,
        asOfRulesetVersion(report.asOfRulesetVersion),
        ctx.signal,
      );
      yield* streamReport(
        {
          store: deps.store,
          organizationId: org.organizationId,
          signal: ctx.signal,
          deadlineMs: ctx.timeoutMs(),
          ruleset,
        },
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
