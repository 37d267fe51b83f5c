/**
 * What another service needs to read stored traffic exactly as the query service reads it:
 * campaign rules compiled to SQL (the effective campaign under a ruleset), campaign checks,
 * date ranges, the catalogue's metrics and dimensions, and the limits every statement runs under.
 * Discovery imports these (`@trellis/query/traffic-rules`) so that "unattributed" means the same
 * thing in a pattern as in every answer.
 */
export { type BoundSql, compileCampaignMatch, compileEffectiveCampaign } from "./domain/campaigns/compile.js";
export { SESSION_KEY_SQL } from "./domain/campaigns/preview.js";
export type { Ruleset, StoredCampaign, StoredCondition, StoredRule } from "./domain/campaigns/ruleset.js";
export { validateCampaign } from "./domain/campaigns/validate.js";
export { dimensions, findDimension, findMetric, metrics } from "./domain/catalogue.js";
export { type ResolvedRange, rangeParams, resolveRange } from "./domain/dates.js";
export { freshnessFor } from "./domain/freshness.js";
export { defaultQueryLimits, type QueryLimits, withLimits } from "./domain/limits.js";
export { timeRangePredicate } from "./domain/time-bucket.js";
export { type RunContext, runCompiled } from "./handlers/run-context.js";
