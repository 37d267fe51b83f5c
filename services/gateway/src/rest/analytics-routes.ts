import { create } from "@bufbuild/protobuf";
import {
  AnalyticsService,
  AttributionModel,
  AttributionSettingsSchema,
  CohortMetric,
  CompareAttributionModelsRequestSchema,
  CreditDimension,
  FunnelStepSchema,
  GetCampaignPerformanceRequestSchema,
  GetCatalogRequestSchema,
  GetClickAttributionRequestSchema,
  GetCohortsRequestSchema,
  GetFunnelRequestSchema,
  GetRealtimeRequestSchema,
  type Granularity,
  GranularitySchema,
  JourneyKey,
} from "@trellis/contracts";
import { echo, ValidationError } from "@trellis/platform";
import { createParams } from "./params.js";
import { dateRangeOf, rangeParams } from "./range.js";
import type { RestRoute } from "./route.js";

type Params = ReturnType<typeof createParams>;

/** "90s", "30m", "24h", "7d" or plain seconds. */
function durationSeconds(value: string, field: string): number {
  if (value === "") return 0;
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw ValidationError.field(field, `expected a duration such as 30m, 24h or 7d, got ${echo(value)}`);
  const scale = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? ""] ?? 1;
  const seconds = Number(match[1]) * scale;
  // The request carries it as a 32-bit count; the question's own limit is far below that.
  if (seconds > 0xffffffff) throw ValidationError.field(field, `is too long, got ${echo(value)}`);
  return seconds;
}

const settingsParams = [
  "journey",
  "lookback_days",
  "half_life_days",
  "position_first_weight",
  "position_last_weight",
  "markov_order",
  "fraud_threshold",
  "credit_by",
];

function fraction(params: Params, name: string): number {
  const value = params.string(name);
  if (value === "") return 0;
  const n = Number(value);
  if (!Number.isFinite(n)) throw ValidationError.field(name, `expected a number, got ${echo(value)}`);
  return n;
}

function attributionSettings(params: Params) {
  const journey = params.string("journey");
  if (journey && journey !== "visitor" && journey !== "session")
    throw ValidationError.field("journey", "expected visitor or session");
  const creditBy = params.string("credit_by");
  if (creditBy && creditBy !== "channel" && creditBy !== "campaign")
    throw ValidationError.field("credit_by", "expected channel or campaign");
  return create(AttributionSettingsSchema, {
    journeyKey: journey === "session" ? JourneyKey.SESSION : JourneyKey.VISITOR,
    lookbackDays: params.uint("lookback_days"),
    timeDecayHalfLifeDays: fraction(params, "half_life_days"),
    positionFirstWeight: fraction(params, "position_first_weight"),
    positionLastWeight: fraction(params, "position_last_weight"),
    markovOrder: params.uint("markov_order"),
    fraudThreshold: params.uint("fraud_threshold"),
    creditBy: creditBy === "campaign" ? CreditDimension.CAMPAIGN : CreditDimension.CHANNEL,
  });
}

/** A true/false query parameter; absent is false. */
function flag(params: Params, name: string): boolean {
  const value = params.string(name);
  if (value && value !== "true" && value !== "false") throw ValidationError.field(name, "expected true or false");
  return value === "true";
}

const modelNames: Record<string, AttributionModel> = {
  first_touch: AttributionModel.FIRST_TOUCH,
  last_touch: AttributionModel.LAST_TOUCH,
  last_non_direct: AttributionModel.LAST_NON_DIRECT,
  linear: AttributionModel.LINEAR,
  time_decay: AttributionModel.TIME_DECAY,
  position_based: AttributionModel.POSITION_BASED,
  markov: AttributionModel.MARKOV,
  shapley: AttributionModel.SHAPLEY,
};

export const analyticsRoutes: readonly RestRoute[] = [
  {
    method: "GET",
    path: "/api/v1/analytics/attribution",
    rpc: AnalyticsService.method.getClickAttribution,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, ["click_id", "include_journey", "as_of_ruleset_version", ...settingsParams]);
      return create(GetClickAttributionRequestSchema, {
        clickId: params.required("click_id"),
        includeJourney: flag(params, "include_journey"),
        settings: attributionSettings(params),
        asOfRulesetVersion: params.bigint("as_of_ruleset_version"),
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/analytics/attribution/models",
    rpc: AnalyticsService.method.compareAttributionModels,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, [
        ...rangeParams,
        "models",
        "conversion_name",
        "exclude_none",
        "as_of_ruleset_version",
        ...settingsParams,
      ]);
      return create(CompareAttributionModelsRequestSchema, {
        range: dateRangeOf(params, { defaultDays: 30 }),
        models: params.list("models").map((name) => {
          const model = modelNames[name.toLowerCase()];
          if (model === undefined)
            throw ValidationError.field(
              "models",
              `unknown model ${echo(name)}; expected ${Object.keys(modelNames).join(", ")}`,
            );
          return model;
        }),
        settings: attributionSettings(params),
        conversionName: params.string("conversion_name"),
        excludeNone: flag(params, "exclude_none"),
        asOfRulesetVersion: params.bigint("as_of_ruleset_version"),
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/analytics/campaigns",
    rpc: AnalyticsService.method.getCampaignPerformance,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, [
        ...rangeParams,
        "campaign_id",
        "metrics",
        "group_by",
        "as_of_ruleset_version",
      ]);
      return create(GetCampaignPerformanceRequestSchema, {
        range: dateRangeOf(params, { defaultDays: 30 }),
        campaignIds: params.list("campaign_id"),
        metrics: params.list("metrics"),
        groupBy: params.enumValue<Granularity>("group_by", GranularitySchema),
        asOfRulesetVersion: params.bigint("as_of_ruleset_version"),
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/analytics/funnel",
    rpc: AnalyticsService.method.getFunnel,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, [...rangeParams, "steps", "window", "journey"]);
      const journey = params.string("journey");
      if (journey && journey !== "visitor" && journey !== "session")
        throw ValidationError.field("journey", "expected visitor or session");
      return create(GetFunnelRequestSchema, {
        range: dateRangeOf(params, { defaultDays: 30 }),
        steps: params.list("steps").map((name) => create(FunnelStepSchema, { name })),
        windowSeconds: durationSeconds(params.string("window"), "window"),
        journeyKey: journey === "session" ? JourneyKey.SESSION : JourneyKey.VISITOR,
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/analytics/cohorts",
    rpc: AnalyticsService.method.getCohorts,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, [...rangeParams, "cohort_type", "metric", "periods"]);
      const type = params.string("cohort_type") || "weekly";
      if (type !== "weekly" && type !== "monthly")
        throw ValidationError.field("cohort_type", "expected weekly or monthly");
      const metric = params.string("metric") || "retention";
      if (metric !== "retention" && metric !== "revenue")
        throw ValidationError.field("metric", "expected retention or revenue");
      const periods = params.uint("periods") || 8;
      const cohortType =
        GranularitySchema.values.find((v) => v.localName === (type === "weekly" ? "WEEK" : "MONTH"))?.number ?? 0;
      return create(GetCohortsRequestSchema, {
        range: dateRangeOf(params, { defaultDays: type === "weekly" ? periods * 7 : periods * 31 }),
        cohortType,
        metric: metric === "revenue" ? CohortMetric.REVENUE : CohortMetric.RETENTION,
        periods,
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/analytics/realtime",
    rpc: AnalyticsService.method.getRealtime,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, ["metrics", "last", "last_minutes"]);
      const last = params.string("last");
      const lastMinutes = last ? Math.ceil(durationSeconds(last, "last") / 60) : params.uint("last_minutes");
      return create(GetRealtimeRequestSchema, { lastMinutes, metrics: params.list("metrics") });
    },
  },
  {
    method: "GET",
    path: "/api/v1/analytics/catalog",
    rpc: AnalyticsService.method.getCatalog,
    reusable: true,
    parse({ query }) {
      createParams(query, []);
      return create(GetCatalogRequestSchema, {});
    },
  },
];
