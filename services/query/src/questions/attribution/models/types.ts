/** One distinct journey path with its aggregated outcomes, as the database returns it. */
export interface DistinctPath {
  /** Credit keys of the touches, oldest first (a channel name or a campaign id). Never collapsed. */
  keys: string[];
  /** Per touch: whether it is a "direct" touch (used by last non-direct). Same length as keys. */
  direct: boolean[];
  /** Conversions whose journey had exactly this path. */
  conversions: number;
  /** Summed value of those conversions. */
  revenue: number;
  /** Journeys with this path that did not convert. */
  nulls: number;
  /** Σ over conversions of the normalized time-decay weight per touch (Σ_i decay[i] = conversions). */
  decay?: number[];
  /** Σ normalized decay weight × conversion value per touch (Σ_i decayRevenue[i] = revenue). */
  decayRevenue?: number[];
  /** Σ over conversions of the touch's fraud weight in [0, 1] (1 = clean). */
  fraudWeight?: number[];
  /** Σ fraud weight × conversion value per touch. */
  fraudWeightRevenue?: number[];
  /** Σ decay weight × fraud weight per touch. */
  decayFraud?: number[];
  /** Σ decay weight × fraud weight × conversion value per touch. */
  decayFraudRevenue?: number[];
}

/** Models that credit each touch of a path by its position and time alone. */
export const RULE_MODEL_NAMES = [
  "first_touch",
  "last_touch",
  "last_non_direct",
  "linear",
  "time_decay",
  "position_based",
] as const;

export const MODEL_NAMES = [...RULE_MODEL_NAMES, "markov", "shapley"] as const;

export type ModelName = (typeof MODEL_NAMES)[number];

export interface KeyCredit {
  key: string;
  conversions: number;
  revenue: number;
  fraudRemovedConversions: number;
  fraudRemovedRevenue: number;
}

export interface ModelResult {
  model: ModelName;
  /** Sorted by conversions descending, then key. Keys with no credit in any column are left out. */
  credits: KeyCredit[];
  /**
   * Standard error of a sampled model's credits. Every model is exact now, so none sets it; it stays
   * optional for callers that report it (the RPC sends 0 when absent).
   */
  standardError?: number;
}

export interface ModelOptions {
  positionFirstWeight: number;
  positionLastWeight: number;
  /** 1..4 */
  markovOrder: number;
  /** When true, credit is split into a kept part and a fraud-removed part using the fraudWeight* arrays. */
  fraudWeighting: boolean;
}

export const defaultModelOptions: Readonly<ModelOptions> = Object.freeze({
  positionFirstWeight: 0.4,
  positionLastWeight: 0.4,
  markovOrder: 1,
  fraudWeighting: false,
});
