import { ValidationError } from "@trellis/platform";

/** The largest ruleset version a question may ask for: versions count changes from 1 and stay exact as numbers. */
export const MAX_RULESET_VERSION = Number.MAX_SAFE_INTEGER;

/**
 * The ruleset version a question or a listing asks for (`as_of_ruleset_version`; 0 = the
 * current one). The field is a uint64, so negative and fractional values never arrive as one;
 * a value a number cannot hold exactly would silently become another version, and is refused.
 */
export function asOfRulesetVersion(value: bigint, field = "as_of_ruleset_version"): number {
  if (value < 0n || value > BigInt(MAX_RULESET_VERSION)) {
    throw ValidationError.field(field, `must be a whole number from 0 (the current ruleset) to ${MAX_RULESET_VERSION}`);
  }
  return Number(value);
}
