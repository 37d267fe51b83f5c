import { type AttributionSettings, CreditDimension, JourneyKey } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";

export interface ResolvedAttributionSettings {
  journey: "visitor" | "session";
  lookbackDays: number;
  halfLifeDays: number;
  positionFirstWeight: number;
  positionLastWeight: number;
  markovOrder: number;
  /** Touches scoring at least this are weighted by (1 − score/100); 0 turns weighting off. */
  fraudThreshold: number;
  creditBy: "channel" | "campaign";
}

export const attributionDefaults: ResolvedAttributionSettings = {
  journey: "visitor",
  lookbackDays: 30,
  halfLifeDays: 7,
  positionFirstWeight: 0.4,
  positionLastWeight: 0.4,
  markovOrder: 1,
  fraudThreshold: 0,
  creditBy: "channel",
};

const MAX_LOOKBACK_DAYS = 365;

/** Fills defaults and checks every setting, naming the field of a bad one. */
export function resolveAttributionSettings(
  settings: AttributionSettings | undefined,
  path = "settings",
): ResolvedAttributionSettings {
  const s = settings;
  const lookbackDays = s?.lookbackDays || attributionDefaults.lookbackDays;
  if (lookbackDays > MAX_LOOKBACK_DAYS)
    throw ValidationError.field(`${path}.lookback_days`, `must be at most ${MAX_LOOKBACK_DAYS}`);
  const halfLifeDays = s?.timeDecayHalfLifeDays || attributionDefaults.halfLifeDays;
  if (!Number.isFinite(halfLifeDays) || halfLifeDays <= 0 || halfLifeDays > MAX_LOOKBACK_DAYS)
    throw ValidationError.field(
      `${path}.time_decay_half_life_days`,
      `must be more than 0 and at most ${MAX_LOOKBACK_DAYS}`,
    );
  const positioned = (s?.positionFirstWeight ?? 0) !== 0 || (s?.positionLastWeight ?? 0) !== 0;
  const positionFirstWeight = positioned ? (s?.positionFirstWeight ?? 0) : attributionDefaults.positionFirstWeight;
  const positionLastWeight = positioned ? (s?.positionLastWeight ?? 0) : attributionDefaults.positionLastWeight;
  for (const [field, value] of [
    ["position_first_weight", positionFirstWeight],
    ["position_last_weight", positionLastWeight],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 1)
      throw ValidationError.field(`${path}.${field}`, "must be between 0 and 1");
  }
  if (positionFirstWeight + positionLastWeight > 1)
    throw ValidationError.field(`${path}.position_last_weight`, "first and last weights must add up to at most 1");
  const markovOrder = s?.markovOrder || attributionDefaults.markovOrder;
  if (markovOrder > 4) throw ValidationError.field(`${path}.markov_order`, "must be between 1 and 4");
  const fraudThreshold = s?.fraudThreshold ?? 0;
  if (fraudThreshold > 100) throw ValidationError.field(`${path}.fraud_threshold`, "must be between 0 and 100");
  return {
    journey: s?.journeyKey === JourneyKey.SESSION ? "session" : "visitor",
    lookbackDays,
    halfLifeDays,
    positionFirstWeight,
    positionLastWeight,
    markovOrder,
    fraudThreshold,
    creditBy: s?.creditBy === CreditDimension.CAMPAIGN ? "campaign" : "channel",
  };
}
