/**
 * A ruleset: every campaign of an organization at one version, as stored (JSON) and compiled.
 * Campaigns are kept whole in every version, so "as of version N" needs only that version.
 */
export type MatchOperatorName = "equals" | "not_equals" | "in" | "contains" | "starts_with" | "regex" | "exists";

export interface StoredCondition {
  field: string;
  operator: MatchOperatorName;
  values: string[];
}

export interface StoredRule {
  conditions: StoredCondition[];
  /** ISO 8601 instants; absent = unbounded. */
  validFrom?: string;
  validUntil?: string;
}

export interface StoredCampaign {
  id: string;
  name: string;
  priority: number;
  archived: boolean;
  rules: StoredRule[];
  createdAt: string;
  updatedAt: string;
  /** The ruleset version in which this campaign last changed. */
  version: number;
}

export interface Ruleset {
  version: number;
  campaigns: StoredCampaign[];
}

/** Campaigns that take part in matching, strongest first: priority, then the older campaign. */
export function activeCampaigns(ruleset: Ruleset): StoredCampaign[] {
  return ruleset.campaigns
    .filter((c) => !c.archived && c.rules.length > 0)
    .sort((a, b) => b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export function campaignNames(ruleset: Ruleset): Map<string, string> {
  return new Map(ruleset.campaigns.map((c) => [c.id, c.name]));
}
