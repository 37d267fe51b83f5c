import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  AnswerSource,
  type Campaign,
  CampaignSchema,
  type CampaignService,
  ConditionSchema,
  PreviewCampaignResponseSchema,
  PreviewDaySchema,
  ResultMetaSchema,
  RuleSchema,
  RulesetVersionSchema,
} from "@trellis/contracts";
import {
  AlreadyExistsError,
  echo,
  FailedPreconditionError,
  type Logger,
  NotFoundError,
  type OrgScope,
  requireOrgContext,
  requireOrgScope,
  ValidationError,
} from "@trellis/platform";
import type { Store } from "@trellis/store";
import {
  activeCampaigns,
  campaignLimits,
  checkRulesetSize,
  compileCampaignMatch,
  compilePreview,
  operatorByName,
  resolveRange,
  runCompiled,
  type StoredCampaign,
  validateCampaign,
} from "@trellis/traffic-rules";
import type { RulesetStore } from "../adapters/ruleset-store.js";
import type { StoredRuleset } from "../domain/campaigns/stored.js";
import { asOfRulesetVersion } from "../domain/ruleset-version.js";
import type { RulesetProvider } from "./rulesets.js";

export interface CampaignDeps {
  store: Store;
  rulesetStore: RulesetStore;
  rulesets: RulesetProvider;
  /** Makes cached answers of the organization's older rulesets unreachable everywhere. */
  onRulesetChanged(org: OrgScope, version: number, signal: AbortSignal): Promise<void>;
  logger: Logger;
  clock?: () => Date;
}

const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_VERSIONS_LISTED = 1000;

function toProto(campaign: StoredCampaign): Campaign {
  return create(CampaignSchema, {
    id: campaign.id,
    name: campaign.name,
    priority: campaign.priority,
    archived: campaign.archived,
    createdAt: timestampFromDate(new Date(campaign.createdAt)),
    updatedAt: timestampFromDate(new Date(campaign.updatedAt)),
    rulesetVersion: BigInt(campaign.version),
    rules: campaign.rules.map((rule) =>
      create(RuleSchema, {
        conditions: rule.conditions.map((c) =>
          create(ConditionSchema, { field: c.field, operator: operatorByName[c.operator], values: c.values }),
        ),
        validFrom: rule.validFrom ? timestampFromDate(new Date(rule.validFrom)) : undefined,
        validUntil: rule.validUntil ? timestampFromDate(new Date(rule.validUntil)) : undefined,
      }),
    ),
  });
}

/** A stored campaign that cannot be read (see readStoredRuleset) answers with why, and how to mend it. */
function unreadableError(ruleset: StoredRuleset, id: string): FailedPreconditionError | undefined {
  const unreadable = ruleset.unreadable.find((u) => u.id === id);
  if (!unreadable) return undefined;
  return new FailedPreconditionError(
    `campaign ${echo(id)} is stored in a form that cannot be read (${unreadable.reason}); it matches nothing until it is replaced with a valid campaign (PUT /api/v1/campaigns/${id} or UpdateCampaign)`,
  );
}

function find(ruleset: StoredRuleset, id: string, field = "campaign_id"): StoredCampaign {
  if (id === "") throw ValidationError.field(field, "is required");
  const campaign = ruleset.campaigns.find((c) => c.id === id);
  if (!campaign) throw unreadableError(ruleset, id) ?? new NotFoundError(`campaign ${echo(id)} does not exist`);
  return campaign;
}

function newCampaignId(): string {
  return `cmp_${randomBytes(9).toString("base64url")}`;
}

/**
 * Campaigns as versioned rules. Every change writes a new ruleset version (nothing is
 * overwritten), applies to all stored traffic on the next question and retires cached answers
 * of older rulesets.
 */
export function createCampaignService(deps: CampaignDeps): ServiceImpl<typeof CampaignService> {
  const clock = deps.clock ?? (() => new Date());

  async function change(
    ctx: HandlerContext,
    describe: (c: StoredCampaign) => string,
    apply: (current: StoredRuleset, version: number, now: string) => StoredCampaign,
  ) {
    const org = requireOrgContext(ctx.values);
    const { ruleset, campaign } = await deps.rulesetStore.change(org.organizationId, {
      principal: org.principal,
      describe,
      apply: (current, version) => apply(current, version, clock().toISOString()),
      check: checkRulesetSize,
    });
    deps.rulesets.remember(org.organizationId, ruleset);
    await deps.onRulesetChanged(requireOrgScope(ctx.values), ruleset.version, ctx.signal);
    deps.logger.info({ ruleset_version: ruleset.version, campaign_id: campaign.id }, "campaign ruleset changed");
    return { campaign: toProto(campaign), rulesetVersion: BigInt(ruleset.version) };
  }

  async function validated(ctx: HandlerContext, campaign: Campaign | undefined) {
    const org = requireOrgContext(ctx.values);
    const checked = validateCampaign(campaign);
    await deps.rulesetStore.checkRegexes(org.organizationId, checked.regexes);
    return checked;
  }

  return {
    async createCampaign(req, ctx) {
      const checked = await validated(ctx, req.campaign);
      const requestedId = req.campaign?.id ?? "";
      if (requestedId !== "" && !CAMPAIGN_ID.test(requestedId))
        throw ValidationError.field("campaign.id", "must be 1-64 letters, digits, '_', '.' or '-'");
      const id = requestedId || newCampaignId();
      return change(
        ctx,
        (c) => `create ${c.id} (${c.name})`,
        (current, version, now) => {
          if (current.campaigns.some((c) => c.id === id) || current.unreadable.some((u) => u.id === id))
            throw new AlreadyExistsError(`campaign ${echo(id)} exists`);
          if (activeCampaigns(current).length >= campaignLimits.activeCampaigns)
            throw ValidationError.field("campaign", `at most ${campaignLimits.activeCampaigns} active campaigns`);
          return { id, ...checked, archived: false, createdAt: now, updatedAt: now, version };
        },
      );
    },

    async updateCampaign(req, ctx) {
      const checked = await validated(ctx, req.campaign);
      const id = req.campaign?.id ?? "";
      return change(
        ctx,
        (c) => `update ${c.id} (${c.name})`,
        (current, version, now) => {
          // A campaign stored in a form that cannot be read is replaced whole: nothing of it
          // can be kept, its creation time included.
          if (id !== "" && current.unreadable.some((u) => u.id === id))
            return { id, ...checked, archived: false, createdAt: now, updatedAt: now, version };
          const existing = find(current, id, "campaign.id");
          return { ...existing, ...checked, updatedAt: now, version };
        },
      );
    },

    async archiveCampaign(req, ctx) {
      const org = requireOrgContext(ctx.values);
      const current = await deps.rulesetStore.newest(org.organizationId, ctx.signal);
      const existing = find(current, req.campaignId);
      if (existing.archived) return { campaign: toProto(existing), rulesetVersion: BigInt(current.version) };
      return change(
        ctx,
        (c) => `archive ${c.id} (${c.name})`,
        (latest, version, now) => ({ ...find(latest, req.campaignId), archived: true, updatedAt: now, version }),
      );
    },

    async listCampaigns(req, ctx) {
      const org = requireOrgContext(ctx.values);
      const asOf = asOfRulesetVersion(req.asOfRulesetVersion);
      const ruleset =
        asOf > 0
          ? await deps.rulesetStore.atVersion(org.organizationId, asOf, ctx.signal)
          : await deps.rulesetStore.newest(org.organizationId, ctx.signal);
      const campaigns = ruleset.campaigns
        .filter((c) => req.includeArchived || !c.archived)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
      return { campaigns: campaigns.map(toProto), rulesetVersion: BigInt(ruleset.version) };
    },

    async getCampaign(req, ctx) {
      const org = requireOrgContext(ctx.values);
      const current = await deps.rulesetStore.newest(org.organizationId, ctx.signal);
      return { campaign: toProto(find(current, req.campaignId)) };
    },

    async previewCampaign(req, ctx) {
      const org = requireOrgContext(ctx.values);
      const checked = await validated(ctx, req.campaign);
      const range = resolveRange(req.range, "range");
      const current = await deps.rulesets.resolve(org.organizationId, 0, ctx.signal);
      const compiled = compilePreview(
        compileCampaignMatch(checked, "draft"),
        current.effectiveCampaign,
        range,
        deps.store.database,
        org.organizationId,
      );
      const { rows, elapsedMs } = await runCompiled<{
        day: string;
        events: string;
        conversions: string;
        revenue: number;
        previously_unattributed_events: string;
      }>(
        { store: deps.store, organizationId: org.organizationId, signal: ctx.signal, deadlineMs: ctx.timeoutMs() },
        "campaign.preview",
        compiled,
      );
      const days = rows.map((r) =>
        create(PreviewDaySchema, {
          date: r.day,
          events: BigInt(r.events),
          conversions: BigInt(r.conversions),
          revenue: Number(r.revenue),
          previouslyUnattributedEvents: BigInt(r.previously_unattributed_events),
        }),
      );
      return create(PreviewCampaignResponseSchema, {
        days,
        events: days.reduce((sum, d) => sum + d.events, 0n),
        conversions: days.reduce((sum, d) => sum + d.conversions, 0n),
        revenue: days.reduce((sum, d) => sum + d.revenue, 0),
        previouslyUnattributedEvents: days.reduce((sum, d) => sum + d.previouslyUnattributedEvents, 0n),
        meta: create(ResultMetaSchema, {
          source: AnswerSource.STORE,
          table: "analytics_events",
          elapsedMs,
          rulesetVersion: BigInt(current.ruleset.version),
        }),
      });
    },

    async listRulesetVersions(_req, ctx) {
      const org = requireOrgContext(ctx.values);
      const versions = await deps.rulesetStore.versions(org.organizationId, MAX_VERSIONS_LISTED);
      return {
        versions: versions.map((v) =>
          create(RulesetVersionSchema, {
            version: BigInt(v.version),
            createdAt: timestampFromDate(new Date(v.createdAt)),
            principal: v.principal,
            change: v.change,
          }),
        ),
      };
    },
  };
}
