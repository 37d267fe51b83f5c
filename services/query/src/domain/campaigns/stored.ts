import { parseInstant, ValidationError } from "@trellis/platform";
import type { MatchOperatorName, Ruleset, StoredCampaign, StoredCondition, StoredRule } from "@trellis/traffic-rules";
import { campaignLimits, resolveRuleField, textProblem } from "@trellis/traffic-rules";

/**
 * A stored campaign this build cannot read back: one written before today's checks existed
 * (a year 0 window, say) or by hand. Its stored form is kept as it is, so that a later change
 * of the ruleset carries it forward untouched and nothing is lost.
 */
export interface UnreadableCampaign {
  /** Its id when it has a readable one, else "". */
  id: string;
  /** The first problem found, naming the field ("rules[0].valid_from: must be between …"). */
  reason: string;
  stored: unknown;
}

/** A ruleset as read from the store: the campaigns that can be used, and those that cannot. */
export interface StoredRuleset extends Ruleset {
  unreadable: UnreadableCampaign[];
}

const operatorNames = new Set<MatchOperatorName>([
  "equals",
  "not_equals",
  "in",
  "contains",
  "starts_with",
  "regex",
  "exists",
]);
const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

class Unreadable extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

function fail(field: string, reason: string): never {
  throw new Unreadable(field, reason);
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(field, "is not an object");
  return value as Record<string, unknown>;
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail(field, "is not an array");
  return value;
}

function storedText(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== "string") fail(field, "is not a string");
  if (value.length > maxLength) fail(field, `is longer than ${maxLength} characters`);
  const problem = textProblem(value);
  if (problem) fail(field, problem);
  return value;
}

/** A stored instant (ISO 8601, as written by toISOString) inside the product's supported instants. */
function storedInstant(value: unknown, field: string): string {
  if (typeof value !== "string") fail(field, "is not a string");
  try {
    return parseInstant(value, field).toISOString();
  } catch (error) {
    if (error instanceof ValidationError) fail(field, error.violations[0]?.reason ?? "is not a time");
    throw error;
  }
}

function storedCondition(value: unknown, field: string): StoredCondition {
  const condition = record(value, field);
  const name = storedText(condition.field, `${field}.field`, 200);
  if (!resolveRuleField(name)) fail(`${field}.field`, "is not a field a rule can test");
  const operator = condition.operator as MatchOperatorName;
  if (!operatorNames.has(operator)) fail(`${field}.operator`, "is not a known operator");
  const values = list(condition.values, `${field}.values`).map((v, i) =>
    storedText(v, `${field}.values[${i}]`, Math.max(campaignLimits.valueLength, campaignLimits.regexLength)),
  );
  return { field: name, operator, values };
}

function storedRule(value: unknown, field: string): StoredRule {
  const rule = record(value, field);
  const conditions = list(rule.conditions, `${field}.conditions`).map((c, i) =>
    storedCondition(c, `${field}.conditions[${i}]`),
  );
  const validFrom = rule.validFrom === undefined ? undefined : storedInstant(rule.validFrom, `${field}.valid_from`);
  const validUntil = rule.validUntil === undefined ? undefined : storedInstant(rule.validUntil, `${field}.valid_until`);
  return { conditions, ...(validFrom ? { validFrom } : {}), ...(validUntil ? { validUntil } : {}) };
}

/**
 * One stored campaign checked as strictly as a new one is (every text, every time, every rule
 * field and operator), so that whatever is returned can be answered, encoded and compiled.
 */
export function readStoredCampaign(value: unknown): StoredCampaign | UnreadableCampaign {
  const id =
    typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string"
      ? (value as { id: string }).id
      : "";
  try {
    const campaign = record(value, "campaign");
    if (!CAMPAIGN_ID.test(id)) fail("id", "is not a campaign id");
    const name = storedText(campaign.name, "name", campaignLimits.nameLength);
    const priority = campaign.priority;
    if (typeof priority !== "number" || !Number.isInteger(priority) || Math.abs(priority) > 2 ** 31 - 1)
      fail("priority", "is not a 32-bit whole number");
    if (typeof campaign.archived !== "boolean") fail("archived", "is not true or false");
    const version = campaign.version;
    if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1)
      fail("version", "is not a ruleset version");
    return {
      id,
      name,
      priority,
      archived: campaign.archived,
      rules: list(campaign.rules, "rules").map((r, i) => storedRule(r, `rules[${i}]`)),
      createdAt: storedInstant(campaign.createdAt, "created_at"),
      updatedAt: storedInstant(campaign.updatedAt, "updated_at"),
      version,
    };
  } catch (error) {
    if (!(error instanceof Unreadable)) throw error;
    return { id: CAMPAIGN_ID.test(id) ? id : "", reason: `${error.field}: ${error.message}`, stored: value };
  }
}

export function isUnreadable(value: StoredCampaign | UnreadableCampaign): value is UnreadableCampaign {
  return "reason" in value;
}

/**
 * A ruleset version as stored (the JSON array of its campaigns). Reading never fails: a
 * campaign that cannot be read is set apart (see UnreadableCampaign) rather than failing
 * every question, every listing and every change of its organization, as it would if it were
 * handed on. The choice is to skip it, not to repair it: a repair would have to invent the
 * value of the field it cannot read (a window's edge, a rule's field), and so change what the
 * campaign matches without anyone asking. Skipped, it matches nothing, is left out of
 * listings, and answers GET with the reason; replacing it (PUT) makes it readable again.
 * Text that is not even JSON leaves nothing to keep: the ruleset reads as empty, and the
 * organization's next change writes a readable one (the unreadable version stays in history).
 */
export function readStoredRuleset(version: number, json: string): StoredRuleset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { version, campaigns: [], unreadable: [{ id: "", reason: "the ruleset is not JSON", stored: undefined }] };
  }
  if (!Array.isArray(parsed))
    return { version, campaigns: [], unreadable: [{ id: "", reason: "the ruleset is not a list", stored: undefined }] };
  const campaigns: StoredCampaign[] = [];
  const unreadable: UnreadableCampaign[] = [];
  for (const value of parsed) {
    const read = readStoredCampaign(value);
    if (isUnreadable(read)) unreadable.push(read);
    else campaigns.push(read);
  }
  return { version, campaigns, unreadable };
}
