/**
 * How stored traffic is read, shared by every service that reads it: campaign rules compiled to
 * SQL (the effective campaign under a ruleset), campaign checks, date ranges, the catalogue's
 * metrics and dimensions, and the limits every statement runs under. The query service answers
 * with these and discovery finds patterns with them, so "unattributed" means the same thing in a
 * pattern as in every answer.
 */
export * from "./campaigns/compile.js";
export * from "./campaigns/fields.js";
export * from "./campaigns/preview.js";
export * from "./campaigns/ruleset.js";
export * from "./campaigns/validate.js";
export * from "./catalogue.js";
export * from "./dates.js";
export * from "./freshness.js";
export * from "./limits.js";
export * from "./run.js";
export * from "./sources.js";
export * from "./time-bucket.js";
