import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  AttributionModel,
  type CompareAttributionModelsRequest,
  type CompareAttributionModelsResponse,
  CompareAttributionModelsResponseSchema,
  ModelCreditSchema,
  ModelResultSchema,
  ResultMetaSchema,
} from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { resolveRange, runCompiled } from "@trellis/traffic-rules";
import type { RunContext } from "../../handlers/run-context.js";
import { compileDistinctPaths, NO_TOUCH_KEY } from "./journeys.js";
import { computeModels } from "./models/index.js";
import { type DistinctPath, MODEL_NAMES, type ModelName } from "./models/types.js";
import { type ResolvedAttributionSettings, resolveAttributionSettings } from "./settings.js";

const modelByEnum = new Map<AttributionModel, ModelName>([
  [AttributionModel.FIRST_TOUCH, "first_touch"],
  [AttributionModel.LAST_TOUCH, "last_touch"],
  [AttributionModel.LAST_NON_DIRECT, "last_non_direct"],
  [AttributionModel.LINEAR, "linear"],
  [AttributionModel.TIME_DECAY, "time_decay"],
  [AttributionModel.POSITION_BASED, "position_based"],
  [AttributionModel.MARKOV, "markov"],
  [AttributionModel.SHAPLEY, "shapley"],
]);
const enumByModel = new Map([...modelByEnum].map(([e, m]) => [m, e]));

/** Models asked for, in the order of the model list; every model when none is named. */
function modelsOf(requested: readonly AttributionModel[]): ModelName[] {
  if (requested.length === 0) return [...MODEL_NAMES];
  const names = requested.map((model, i) => {
    const name = modelByEnum.get(model);
    if (!name) throw ValidationError.field(`models[${i}]`, "is not a known attribution model");
    return name;
  });
  return MODEL_NAMES.filter((m) => names.includes(m));
}

interface PathRow {
  keys: string[];
  direct: number[];
  conversions: string | number;
  revenue: number;
  nulls: string | number;
  decay?: number[];
  decay_revenue?: number[];
  fraud_weight?: number[];
  fraud_weight_revenue?: number[];
  decay_fraud?: number[];
  decay_fraud_revenue?: number[];
}

function toDistinctPath(row: PathRow): DistinctPath {
  return {
    keys: row.keys,
    direct: row.direct.map((d) => Number(d) === 1),
    conversions: Number(row.conversions),
    revenue: Number(row.revenue),
    nulls: Number(row.nulls),
    ...(row.decay ? { decay: row.decay, decayRevenue: row.decay_revenue } : {}),
    ...(row.fraud_weight ? { fraudWeight: row.fraud_weight, fraudWeightRevenue: row.fraud_weight_revenue } : {}),
    ...(row.decay_fraud ? { decayFraud: row.decay_fraud, decayFraudRevenue: row.decay_fraud_revenue } : {}),
  };
}

export function modelOptions(settings: ResolvedAttributionSettings) {
  return {
    positionFirstWeight: settings.positionFirstWeight,
    positionLastWeight: settings.positionLastWeight,
    markovOrder: settings.markovOrder,
    fraudWeighting: settings.fraudThreshold > 0,
  };
}

/** The organization's distinct conversion paths over a range, aggregated in the engine. */
export async function loadPaths(
  ctx: RunContext,
  range: ReturnType<typeof resolveRange>,
  settings: ResolvedAttributionSettings,
  models: readonly ModelName[],
  conversionName: string,
) {
  const compiled = compileDistinctPaths(range, ctx.store.database, ctx.organizationId, {
    settings,
    effectiveCampaign: ctx.ruleset?.effectiveCampaign ?? { sql: "campaign_id", params: {} },
    withDecay: models.includes("time_decay"),
    withFraud: settings.fraudThreshold > 0,
    conversionName,
  });
  const { rows, elapsedMs } = await runCompiled<PathRow>(ctx, "attribution.paths", compiled);
  return { paths: rows.map(toDistinctPath), elapsedMs };
}

/**
 * Every requested model over the same conversions, side by side, with each key's share. With
 * `exclude_none` the "(none)" key's row is left out of the answer only: the models run on the
 * whole paths, so the other rows, their shares (of all credit) and the totals do not move.
 */
export async function runAttributionComparison(
  ctx: RunContext,
  request: CompareAttributionModelsRequest,
): Promise<CompareAttributionModelsResponse> {
  const range = resolveRange(request.range, "range");
  const settings = resolveAttributionSettings(request.settings);
  const models = modelsOf(request.models);
  if (request.conversionName.length > 200)
    throw ValidationError.field("conversion_name", "must be at most 200 characters");
  const { paths, elapsedMs } = await loadPaths(ctx, range, settings, models, request.conversionName);
  const totalConversions = paths.reduce((sum, p) => sum + p.conversions, 0);
  const totalRevenue = paths.reduce((sum, p) => sum + p.revenue, 0);
  const results = computeModels(paths, models, modelOptions(settings));
  return create(CompareAttributionModelsResponseSchema, {
    models: results.map((result) => {
      const credited = result.credits.reduce((sum, c) => sum + c.conversions, 0);
      const shown = request.excludeNone ? result.credits.filter((c) => c.key !== NO_TOUCH_KEY) : result.credits;
      return create(ModelResultSchema, {
        model: enumByModel.get(result.model),
        standardError: result.standardError ?? 0,
        credits: shown.map((c) =>
          create(ModelCreditSchema, {
            key: c.key,
            conversions: c.conversions,
            revenue: c.revenue,
            share: credited > 0 ? c.conversions / credited : 0,
            fraudRemovedConversions: c.fraudRemovedConversions,
            fraudRemovedRevenue: c.fraudRemovedRevenue,
          }),
        ),
      });
    }),
    totalConversions,
    totalRevenue,
    distinctPaths: BigInt(paths.length),
    meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: "analytics_events", elapsedMs }),
  });
}
