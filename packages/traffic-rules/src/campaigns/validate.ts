import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type Campaign, MatchOperator } from "@trellis/contracts";
import { echo, type FieldViolation, instantOfTimestamp, ValidationError } from "@trellis/platform";
import { resolveRuleField, ruleFieldNames } from "./fields.js";
import { activeCampaigns, type MatchOperatorName, type Ruleset, type StoredRule } from "./ruleset.js";

export const campaignLimits = {
  nameLength: 200,
  rules: 100,
  conditions: 32,
  values: 1000,
  valueLength: 2000,
  regexLength: 1000,
  activeCampaigns: 500,
  /** Across all active campaigns: every question compiles them into its SQL. */
  rulesetConditions: 2_000,
  rulesetValueBytes: 256 * 1024,
} as const;

const operatorNames: Record<number, MatchOperatorName> = {
  [MatchOperator.EQUALS]: "equals",
  [MatchOperator.NOT_EQUALS]: "not_equals",
  [MatchOperator.IN]: "in",
  [MatchOperator.CONTAINS]: "contains",
  [MatchOperator.STARTS_WITH]: "starts_with",
  [MatchOperator.REGEX]: "regex",
  [MatchOperator.EXISTS]: "exists",
};

export const operatorByName: Record<MatchOperatorName, MatchOperator> = Object.fromEntries(
  Object.entries(operatorNames).map(([number, name]) => [name, Number(number) as MatchOperator]),
) as Record<MatchOperatorName, MatchOperator>;

export interface ValidatedCampaign {
  name: string;
  priority: number;
  rules: StoredRule[];
  /** Regular expressions the engine must accept before the campaign is saved. */
  regexes: { field: string; pattern: string }[];
}

/**
 * Why a campaign's text (its name, a condition's field or value) cannot be stored, if it
 * cannot: NUL and unpaired surrogates are refused rather than stored or replaced.
 */
export function textProblem(value: string): string | undefined {
  if (value.includes("\u0000")) return "must not contain NUL characters";
  if (!value.isWellFormed()) return "must be valid Unicode (it has an unpaired surrogate)";
  return undefined;
}

/** Checks a campaign's name and rules, naming the exact field of every problem. */
export function validateCampaign(campaign: Campaign | undefined, path = "campaign"): ValidatedCampaign {
  if (!campaign) throw ValidationError.field(path, "is required");
  const violations: FieldViolation[] = [];
  const fail = (field: string, reason: string) => violations.push({ field, reason });
  /** A rule's window edge, in the instants every time of the product is read in. */
  const instant = (timestamp: Timestamp | undefined, field: string): Date | undefined => {
    if (!timestamp) return undefined;
    try {
      return instantOfTimestamp(timestamp, field);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      violations.push(...error.violations);
      return undefined;
    }
  };
  const name = campaign.name.trim();
  const nameProblem = textProblem(name);
  if (name === "") fail(`${path}.name`, "is required");
  else if (name.length > campaignLimits.nameLength)
    fail(`${path}.name`, `must be at most ${campaignLimits.nameLength} characters`);
  else if (nameProblem) fail(`${path}.name`, nameProblem);
  if (campaign.rules.length === 0) fail(`${path}.rules`, "name at least one rule");
  if (campaign.rules.length > campaignLimits.rules) fail(`${path}.rules`, `at most ${campaignLimits.rules} rules`);
  const regexes: ValidatedCampaign["regexes"] = [];
  const rules: StoredRule[] = campaign.rules.slice(0, campaignLimits.rules).map((rule, r) => {
    const at = `${path}.rules[${r}]`;
    if (rule.conditions.length === 0) fail(`${at}.conditions`, "name at least one condition");
    if (rule.conditions.length > campaignLimits.conditions)
      fail(`${at}.conditions`, `at most ${campaignLimits.conditions} conditions`);
    const validFrom = instant(rule.validFrom, `${at}.valid_from`);
    const validUntil = instant(rule.validUntil, `${at}.valid_until`);
    if (validFrom && validUntil && validUntil <= validFrom) fail(`${at}.valid_until`, "must be after valid_from");
    const conditions = rule.conditions.map((condition, c) => {
      const cat = `${at}.conditions[${c}]`;
      const resolved = resolveRuleField(condition.field);
      if (!resolved)
        fail(`${cat}.field`, `unknown field ${echo(condition.field)}; use one of ${ruleFieldNames.join(", ")}`);
      const operator = operatorNames[condition.operator];
      if (!operator) fail(`${cat}.operator`, `is required: one of ${Object.values(operatorNames).join(", ")}`);
      const values = condition.values.map((v) => resolved?.field.normalize?.(v) ?? v);
      if (operator === "exists") {
        if (values.length > 0) fail(`${cat}.values`, "must be empty for exists");
      } else if (operator === "equals") {
        if (values.length !== 1) fail(`${cat}.values`, "equals takes exactly one value; use in for several");
      } else if (operator && values.length === 0) {
        fail(`${cat}.values`, "must not be empty");
      }
      if (values.length > campaignLimits.values) fail(`${cat}.values`, `at most ${campaignLimits.values} values`);
      values.forEach((value, v) => {
        const limit = operator === "regex" ? campaignLimits.regexLength : campaignLimits.valueLength;
        if (value.length > limit) fail(`${cat}.values[${v}]`, `must be at most ${limit} characters`);
        const problem = textProblem(value);
        if (problem) fail(`${cat}.values[${v}]`, problem);
        if (operator === "regex") regexes.push({ field: `${cat}.values[${v}]`, pattern: value });
      });
      return { field: condition.field, operator: operator ?? "equals", values };
    });
    return {
      conditions,
      ...(validFrom ? { validFrom: validFrom.toISOString() } : {}),
      ...(validUntil ? { validUntil: validUntil.toISOString() } : {}),
    };
  });
  if (violations.length > 0) throw new ValidationError(violations);
  return { name, priority: campaign.priority, rules, regexes };
}

/**
 * Refuses a change that would make the organization's active campaigns too large to compile
 * into every question: the conditions become SQL text and their values bound parameters.
 */
export function checkRulesetSize(ruleset: Ruleset): void {
  let conditions = 0;
  let valueBytes = 0;
  for (const campaign of activeCampaigns(ruleset)) {
    for (const rule of campaign.rules) {
      conditions += rule.conditions.length;
      for (const condition of rule.conditions) {
        for (const value of condition.values) valueBytes += Buffer.byteLength(value);
      }
    }
  }
  if (conditions > campaignLimits.rulesetConditions) {
    throw ValidationError.field(
      "campaign.rules",
      `the organization's active campaigns would hold ${conditions} conditions; at most ${campaignLimits.rulesetConditions} (archive campaigns no longer needed)`,
    );
  }
  if (valueBytes > campaignLimits.rulesetValueBytes) {
    throw ValidationError.field(
      "campaign.rules",
      `the organization's active campaigns would hold ${valueBytes} bytes of values; at most ${campaignLimits.rulesetValueBytes}`,
    );
  }
}
