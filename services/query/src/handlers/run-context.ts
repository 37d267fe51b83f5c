import { create } from "@bufbuild/protobuf";
import { AnswerSource, ResultMetaSchema } from "@trellis/contracts";
import type { StatementContext } from "@trellis/traffic-rules";
import type { BigQueryReadPath } from "../adapters/bigquery-read-path.js";
import type { ActiveRuleset } from "./rulesets.js";

/**
 * What every question runs with: what a statement runs with (store, verified organization,
 * cancellation, deadline, limits; `runCompiled` in `@trellis/traffic-rules`), plus the ruleset and
 * the read path.
 */
export interface RunContext extends StatementContext {
  /** The campaign ruleset the question runs under (current, or the version it asks for). */
  ruleset?: ActiveRuleset;
  /** BigQuery's exported views, when the read path is configured (long-range campaign performance). */
  bigquery?: BigQueryReadPath;
}

/** The meta of an answer read from the store's raw events. */
export const storeMeta = (elapsedMs: number) =>
  create(ResultMetaSchema, { source: AnswerSource.STORE, table: "analytics_events", elapsedMs });
