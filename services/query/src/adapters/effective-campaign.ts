import type { EffectiveCampaign } from "@trellis/bigquery";
import type { Logger } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { compileEffectiveCampaign } from "@trellis/traffic-rules";
import { createRulesetStore } from "./ruleset-store.js";

/**
 * An organization's current effective campaign (its newest ruleset version, compiled to SQL),
 * read from the store each call: what the BigQuery export computes the read path's tables
 * under, so that they credit the campaigns the query service credits.
 */
export function effectiveCampaignSource(
  store: Store,
  logger: Logger,
): (organizationId: string, signal?: AbortSignal) => Promise<EffectiveCampaign> {
  const rulesets = createRulesetStore(store, { logger });
  return async (organizationId, signal) => {
    const ruleset = await rulesets.newest(organizationId, signal);
    return { version: ruleset.version, ...compileEffectiveCampaign(ruleset) };
  };
}
