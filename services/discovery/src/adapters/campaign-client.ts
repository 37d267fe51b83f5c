import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type {
  Campaign,
  CampaignService,
  CreateCampaignResponse,
  DateRange,
  PreviewCampaignResponse,
} from "@trellis/contracts";
import { type OrgScope, orgCallOptions } from "@trellis/platform";
import {
  activeCampaigns,
  type BoundSql,
  compileEffectiveCampaign,
  type StoredCampaign,
  validateCampaign,
} from "@trellis/traffic-rules";

/** The organization's current campaigns, compiled as every answer compiles them. */
export interface CurrentRuleset {
  version: number;
  /** The effective campaign of an event (empty: unattributed). */
  effectiveCampaign: BoundSql;
  /** The fields the active campaigns' rules test (`referrer_host`, `param:ref`, …). */
  fields: string[];
}

/**
 * Discovery's view of the campaign service (the query service): the current ruleset to tell
 * attributed from unattributed traffic, and the calls that adopt a pattern. Every call is made
 * for the organization whose verified scope it is given.
 */
export function createCampaignClient(client: Client<typeof CampaignService>) {
  return {
    async currentRuleset(org: OrgScope, signal?: AbortSignal): Promise<CurrentRuleset> {
      const answer = await client.listCampaigns({}, { signal, ...orgCallOptions(org) });
      const campaigns = answer.campaigns.flatMap((c) => {
        const stored = storedFrom(c);
        return stored ? [stored] : [];
      });
      const version = Number(answer.rulesetVersion);
      const fields = new Set(
        activeCampaigns({ version, campaigns }).flatMap((c) =>
          c.rules.flatMap((r) => r.conditions.map((x) => x.field)),
        ),
      );
      return { version, effectiveCampaign: compileEffectiveCampaign({ version, campaigns }), fields: [...fields] };
    },
    create(org: OrgScope, campaign: Campaign, signal?: AbortSignal): Promise<CreateCampaignResponse> {
      return client.createCampaign({ campaign }, { signal, ...orgCallOptions(org) });
    },
    preview(
      org: OrgScope,
      campaign: Campaign,
      range: DateRange,
      signal?: AbortSignal,
    ): Promise<PreviewCampaignResponse> {
      return client.previewCampaign({ campaign, range }, { signal, ...orgCallOptions(org) });
    },
  };
}

export type CampaignClient = ReturnType<typeof createCampaignClient>;

/** A listed campaign in the stored form the rule compiler takes; undefined for one that no longer validates. */
function storedFrom(campaign: Campaign): StoredCampaign | undefined {
  try {
    const checked = validateCampaign(campaign);
    const at = (t: Campaign["createdAt"]) => (t ? timestampDate(t).toISOString() : new Date(0).toISOString());
    return {
      id: campaign.id,
      name: checked.name,
      priority: checked.priority,
      archived: campaign.archived,
      rules: checked.rules,
      createdAt: at(campaign.createdAt),
      updatedAt: at(campaign.updatedAt),
      version: Number(campaign.rulesetVersion),
    };
  } catch {
    return undefined;
  }
}
