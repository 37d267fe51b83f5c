import { resolveRuleField } from "./fields.js";
import {
  activeCampaigns,
  type Ruleset,
  type StoredCampaign,
  type StoredCondition,
  type StoredRule,
} from "./ruleset.js";

/** Trusted SQL with its bound values. */
export interface BoundSql {
  sql: string;
  params: Record<string, unknown>;
}

/** The captured campaign: what an event falls back to when no rule of the ruleset matches. */
export const CAPTURED_CAMPAIGN_SQL = "campaign_id";

class Binder {
  readonly params: Record<string, unknown> = {};
  private next = 0;
  constructor(private readonly prefix: string) {}
  bind(value: unknown, type: string): string {
    const name = `${this.prefix}${this.next++}`;
    this.params[name] = value;
    return `{${name}:${type}}`;
  }
}

function conditionSql(condition: StoredCondition, binder: Binder): string {
  const resolved = resolveRuleField(condition.field);
  if (!resolved) throw new Error(`stored rule names an unknown field "${condition.field}"`);
  if (condition.operator === "exists" && resolved.paramName)
    return `mapContains(query_params, ${binder.bind(resolved.paramName, "String")})`;
  const column = resolved.paramName ? `query_params[${binder.bind(resolved.paramName, "String")}]` : resolved.field.sql;
  const any = (clause: (value: string) => string) =>
    condition.values.length === 1
      ? clause(binder.bind(condition.values[0], "String"))
      : `(${condition.values.map((v) => clause(binder.bind(v, "String"))).join(" OR ")})`;
  switch (condition.operator) {
    case "equals":
      return `${column} = ${binder.bind(condition.values[0] ?? "", "String")}`;
    case "not_equals":
      return `NOT has(${binder.bind(condition.values, "Array(String)")}, ${column})`;
    case "in":
      return `has(${binder.bind(condition.values, "Array(String)")}, ${column})`;
    case "contains":
      return any((v) => `position(${column}, ${v}) > 0`);
    case "starts_with":
      return any((v) => `startsWith(${column}, ${v})`);
    case "regex":
      return any((v) => `match(${column}, ${v})`);
    case "exists":
      return `${column} != ''`;
  }
}

/** "2024-06-02T00:00:00.000Z" as the engine reads a DateTime64 parameter. */
const engineTime = (iso: string) => iso.replace("T", " ").replace("Z", "");

function ruleSql(rule: StoredRule, binder: Binder): string {
  const clauses = rule.conditions.map((c) => conditionSql(c, binder));
  if (rule.validFrom) clauses.push(`event_time >= ${binder.bind(engineTime(rule.validFrom), "DateTime64(3, 'UTC')")}`);
  if (rule.validUntil) clauses.push(`event_time < ${binder.bind(engineTime(rule.validUntil), "DateTime64(3, 'UTC')")}`);
  return clauses.length === 1 ? (clauses[0] ?? "1") : `(${clauses.join(" AND ")})`;
}

function campaignMatchSql(campaign: Pick<StoredCampaign, "rules">, binder: Binder): string {
  const rules = campaign.rules.map((r) => ruleSql(r, binder));
  return rules.length === 1 ? (rules[0] ?? "0") : `(${rules.join(" OR ")})`;
}

/** Whether an event matches a campaign's rules (any rule; every condition of it). */
export function compileCampaignMatch(campaign: Pick<StoredCampaign, "rules">, prefix: string): BoundSql {
  const binder = new Binder(prefix);
  return { sql: campaignMatchSql(campaign, binder), params: binder.params };
}

/**
 * The effective campaign of an event under a ruleset: the strongest matching campaign, else
 * the campaign captured at ingest. An empty ruleset is the captured column itself, so
 * questions without campaigns compile exactly as before (and may use rollups).
 */
export function compileEffectiveCampaign(ruleset: Ruleset, prefix = "cr"): BoundSql {
  const campaigns = activeCampaigns(ruleset);
  if (campaigns.length === 0) return { sql: CAPTURED_CAMPAIGN_SQL, params: {} };
  const binder = new Binder(prefix);
  const branches = campaigns.flatMap((c) => [campaignMatchSql(c, binder), binder.bind(c.id, "String")]);
  return { sql: `multiIf(${branches.join(", ")}, ${CAPTURED_CAMPAIGN_SQL})`, params: binder.params };
}

/** Whether the effective campaign differs from the captured column (rollups keep only the latter). */
export function rewritesCampaign(effective: BoundSql): boolean {
  return effective.sql !== CAPTURED_CAMPAIGN_SQL;
}
