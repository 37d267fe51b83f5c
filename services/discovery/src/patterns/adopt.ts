import { clone, create } from "@bufbuild/protobuf";
import {
  type AdoptPatternRequest,
  type AdoptPatternResponse,
  AdoptPatternResponseSchema,
  CampaignSchema,
  DateRangeSchema,
} from "@trellis/contracts";
import { echo, NotFoundError, ValidationError } from "@trellis/platform";
import type { DiscoveryDeps, RunRequest } from "../domain/run-deps.js";

/**
 * Turns a stored pattern into a campaign: the suggested campaign (or the caller's edit of it,
 * or only a new name) becomes a new ruleset version through the campaign service, so every
 * answer credits it at once, years back. The preview is taken first, under the ruleset before
 * the campaign, so "previously unattributed" counts what the campaign takes over.
 */
export async function adoptPattern(
  deps: DiscoveryDeps,
  call: RunRequest,
  request: AdoptPatternRequest,
): Promise<AdoptPatternResponse> {
  if (request.patternId === "") throw ValidationError.field("pattern_id", "is required");
  const organizationId = call.org.context.organizationId;
  const found = await deps.runs.findPatternRun(organizationId, request.patternId, request.runId, call.signal);
  const pattern = found?.result.patterns.find((p) => p.id === request.patternId);
  if (!found || !pattern?.suggestedCampaign)
    throw new NotFoundError(
      `pattern ${echo(request.patternId)} is in no stored discovery run${request.runId ? ` ${echo(request.runId)}` : ""}`,
    );
  const campaign =
    request.campaign && request.campaign.rules.length > 0
      ? clone(CampaignSchema, request.campaign)
      : clone(CampaignSchema, pattern.suggestedCampaign);
  if (request.campaign?.name) campaign.name = request.campaign.name;
  if (request.campaign?.priority) campaign.priority = request.campaign.priority;
  if (request.name) campaign.name = request.name;
  const range = request.range?.startDate ? request.range : create(DateRangeSchema, found.range);
  const preview = await deps.campaigns.preview(call.org, campaign, range, call.signal);
  const created = await deps.campaigns.create(call.org, campaign, call.signal);
  deps.logger.info(
    {
      organization_id: organizationId,
      pattern_id: pattern.id,
      run_id: found.runId,
      campaign_id: created.campaign?.id,
      ruleset_version: Number(created.rulesetVersion),
    },
    "pattern adopted as a campaign",
  );
  return create(AdoptPatternResponseSchema, {
    campaign: created.campaign,
    rulesetVersion: created.rulesetVersion,
    preview,
  });
}
