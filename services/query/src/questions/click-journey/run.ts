import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AnswerSource,
  ConversionSchema,
  DateRangeSchema,
  type GetClickAttributionRequest,
  type GetClickAttributionResponse,
  GetClickAttributionResponseSchema,
  ResultMetaSchema,
  TouchSchema,
} from "@trellis/contracts";
import { echo, NotFoundError, ValidationError } from "@trellis/platform";
import { resolveRange, runCompiled } from "@trellis/traffic-rules";
import type { RunContext } from "../../handlers/run-context.js";
import { computeModels } from "../attribution/models/index.js";
import { type DistinctPath, type ModelName, RULE_MODEL_NAMES } from "../attribution/models/types.js";
import { loadPaths, modelOptions } from "../attribution/run.js";
import { type ResolvedAttributionSettings, resolveAttributionSettings } from "../attribution/settings.js";
import { compileClickConversion, compileClickLookup, compileClickTouches } from "./compile.js";

interface TouchRow {
  time: string;
  event_id: string;
  channel: string;
  campaign_id: string;
  source: string;
  medium: string;
  click_id: string;
  key: string;
  is_direct: number;
  fraud_score: number;
}

interface ConversionRow {
  conversion_time: string;
  event_id: string;
  conversion_name: string;
  conversion_value: number;
  currency: string;
}

const parseTime = (value: string) => new Date(`${value.replace(" ", "T")}Z`);

/**
 * A click's journey: the first conversion of its visitor (or session) within the lookback
 * after the click, every touch that led to it, and how each model credits each touch. Rule
 * models credit touches directly; the data-driven ones give each key the share the
 * organization-wide model gives it among the keys of this journey, split over its touches.
 */
export async function runClickAttribution(
  ctx: RunContext,
  request: GetClickAttributionRequest,
): Promise<GetClickAttributionResponse> {
  const clickId = request.clickId.trim();
  if (clickId === "") throw ValidationError.field("click_id", "is required");
  if (clickId.length > 256) throw ValidationError.field("click_id", "must be at most 256 characters");
  const settings = resolveAttributionSettings(request.settings);
  const { database } = ctx.store;
  const started = performance.now();
  const click = await runCompiled<{ click_time: string; visitor_id: string; session_key: string }>(
    ctx,
    "attribution.click",
    compileClickLookup(clickId, database, ctx.organizationId),
  );
  const found = click.rows[0];
  if (!found) throw new NotFoundError(`no click with id ${echo(clickId)}`);
  const scope = { settings, visitorId: found.visitor_id, sessionKey: found.session_key };
  const conversionRows = await runCompiled<ConversionRow>(
    ctx,
    "attribution.click.conversion",
    compileClickConversion(found.click_time, scope, database, ctx.organizationId),
  );
  const conversion = conversionRows.rows[0];
  const touchRows = await runCompiled<TouchRow>(
    ctx,
    "attribution.click.touches",
    compileClickTouches(
      conversion?.conversion_time ?? found.click_time,
      scope,
      database,
      ctx.organizationId,
      ctx.ruleset?.effectiveCampaign,
    ),
  );
  const touches = touchRows.rows.reverse().map((t) => ({
    ...t,
    time: parseTime(t.time),
    direct: Number(t.is_direct) === 1,
    fraud: Number(t.fraud_score),
  }));
  const credits = conversion ? await touchCredits(ctx, settings, touches, conversion) : new Map<string, number[]>();
  return create(GetClickAttributionResponseSchema, {
    clickId,
    journey:
      request.includeJourney || conversion
        ? touches.map((t, i) =>
            create(TouchSchema, {
              time: timestampFromDate(t.time),
              eventId: t.event_id,
              channel: t.channel,
              campaignId: t.campaign_id,
              source: t.source,
              medium: t.medium,
              clickId: t.click_id,
              fraudScore: t.fraud,
              credit: Object.fromEntries([...credits].map(([model, perTouch]) => [model, perTouch[i] ?? 0])),
            }),
          )
        : [],
    conversion: conversion
      ? create(ConversionSchema, {
          time: timestampFromDate(parseTime(conversion.conversion_time)),
          eventId: conversion.event_id,
          name: conversion.conversion_name,
          value: Number(conversion.conversion_value),
          currency: conversion.currency,
        })
      : undefined,
    meta: create(ResultMetaSchema, {
      source: AnswerSource.STORE,
      table: "analytics_events",
      elapsedMs: performance.now() - started,
    }),
  });
}

interface JourneyTouch {
  time: Date;
  key: string;
  direct: boolean;
  fraud: number;
}

/** Per model, the credit (in conversions) of each touch of one converting journey. */
async function touchCredits(
  ctx: RunContext,
  settings: ResolvedAttributionSettings,
  touches: JourneyTouch[],
  row: ConversionRow,
): Promise<Map<string, number[]>> {
  const credits = new Map<string, number[]>();
  const conversionTime = parseTime(row.conversion_time).getTime();
  const fraudWeighting = settings.fraudThreshold > 0;
  const weight = (t: JourneyTouch) => (fraudWeighting && t.fraud >= settings.fraudThreshold ? 1 - t.fraud / 100 : 1);
  const rawDecay = touches.map(
    (t) => 2 ** (-(conversionTime - t.time.getTime()) / (settings.halfLifeDays * 86_400_000)),
  );
  const decaySum = rawDecay.reduce((a, b) => a + b, 0);
  const decay = rawDecay.map((d) => d / decaySum);
  // Each touch its own key: the rule models' per-key credit is then the per-touch credit.
  const single: DistinctPath = {
    keys: touches.map((_, i) => String(i)),
    direct: touches.map((t) => t.direct),
    conversions: 1,
    revenue: Number(row.conversion_value),
    nulls: 0,
    decay,
    decayRevenue: decay.map((d) => d * Number(row.conversion_value)),
    fraudWeight: touches.map(weight),
    fraudWeightRevenue: touches.map((t) => weight(t) * Number(row.conversion_value)),
    decayFraud: decay.map((d, i) => d * weight(touches[i] as JourneyTouch)),
    decayFraudRevenue: decay.map((d, i) => d * weight(touches[i] as JourneyTouch) * Number(row.conversion_value)),
  };
  const ruleModels: ModelName[] = [...RULE_MODEL_NAMES];
  for (const result of computeModels(touches.length > 0 ? [single] : [], ruleModels, modelOptions(settings))) {
    const perTouch = touches.map(() => 0);
    for (const c of result.credits) perTouch[Number(c.key)] = c.conversions;
    credits.set(result.model, perTouch);
  }
  // Data-driven models: the organization's model over the lookback window ending at the conversion.
  const endDate = new Date(conversionTime).toISOString().slice(0, 10);
  const startDate = new Date(conversionTime - settings.lookbackDays * 86_400_000).toISOString().slice(0, 10);
  const range = resolveRange(create(DateRangeSchema, { startDate, endDate, timeZone: "UTC" }), "range");
  const { paths } = await loadPaths(ctx, range, settings, ["markov", "shapley"], "");
  for (const result of computeModels(paths, ["markov", "shapley"], modelOptions(settings))) {
    const byKey = new Map(result.credits.map((c) => [c.key, c.conversions]));
    const keys = new Set(touches.map((t) => t.key));
    const total = [...keys].reduce((sum, k) => sum + (byKey.get(k) ?? 0), 0);
    const perTouch = touches.map((t) => {
      const share = total > 0 ? (byKey.get(t.key) ?? 0) / total : 1 / keys.size;
      const sameKey = touches.filter((u) => u.key === t.key).length;
      return (share / sameKey) * weight(t);
    });
    credits.set(result.model, perTouch);
  }
  if (touches.length === 0) credits.clear();
  return credits;
}
