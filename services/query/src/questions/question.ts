import type { AnalyticsAnswer, AnalyticsQuery, DateRange, Freshness } from "@trellis/contracts";
import type { RunContext } from "../handlers/run-context.js";

/** The name of a question: its case in the AnalyticsQuery (and AnalyticsAnswer) oneof. */
export type QuestionKind = NonNullable<AnalyticsQuery["kind"]["case"]>;
export type RequestOf<K extends QuestionKind> = Extract<AnalyticsQuery["kind"], { case: K }>["value"];
export type AnswerOf<K extends QuestionKind> = Extract<AnalyticsAnswer["kind"], { case: K }>["value"];

/**
 * One analytics question, as the query service answers it: how it is computed, how fresh its
 * answer must stay in the cache, and which dates of data it reads. Each lives in a folder of
 * its own under questions/, with its compile step and tests; `questions/index.ts` lists them.
 */
export interface Question<K extends QuestionKind> {
  run(ctx: RunContext, request: RequestOf<K>, now: Date): Promise<AnswerOf<K>>;
  /** How fresh its answer must be (the cache's time to live follows). */
  freshness(request: RequestOf<K>, now: Date): Freshness;
  /**
   * The dates of data it reads, when they are known, so that new data on other dates leaves
   * its cached answer reachable; undefined when any new data may change it.
   */
  dataRange(request: RequestOf<K>, now: Date): DateRange | undefined;
}

/** Every question, by name. */
export type Questions = { [K in QuestionKind]: Question<K> };
