import { create } from "@bufbuild/protobuf";
import { AnswerSource, ResultMetaSchema } from "@trellis/contracts";
import type { Store } from "@trellis/store";
import type { BigQueryReadPath } from "../adapters/bigquery-read-path.js";
import { defaultQueryLimits, type QueryLimits, withLimits } from "../domain/limits.js";
import type { ActiveRuleset } from "./rulesets.js";

/** What every question runs with: the store, the verified organization, cancellation, deadline, limits. */
export interface RunContext {
  store: Store;
  organizationId: string;
  signal?: AbortSignal;
  /** Time the caller still waits, in milliseconds. */
  deadlineMs?: number;
  limits?: QueryLimits;
  /** The campaign ruleset the question runs under (current, or the version it asks for). */
  ruleset?: ActiveRuleset;
  /** BigQuery's exported views, when the read path is configured (long-range campaign performance). */
  bigquery?: BigQueryReadPath;
}

/** Runs a compiled statement under the request's limits and deadline. */
export function runCompiled<T>(
  ctx: RunContext,
  name: string,
  compiled: { sql: string; params: Record<string, unknown> },
  extraSettings: Record<string, string | number> = {},
) {
  return ctx.store.query<T>({
    name,
    sql: withLimits(compiled.sql, ctx.limits ?? defaultQueryLimits, ctx.deadlineMs, extraSettings),
    params: compiled.params,
    organizationId: ctx.organizationId,
    signal: ctx.signal,
  });
}

/** The meta of an answer read from the store's raw events. */
export const storeMeta = (elapsedMs: number) =>
  create(ResultMetaSchema, { source: AnswerSource.STORE, table: "analytics_events", elapsedMs });
