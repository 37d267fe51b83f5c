import { CLICK_ID_SPECS, type ClickIdSpec } from "@trellis/contracts/url-parameters";

export { CLICK_ID_SPECS, type ClickIdSpec };

export interface UrlClickId {
  type: string;
  value: string;
  source: string;
  medium: string;
}

const byName = new Map(CLICK_ID_SPECS.map((spec, rank) => [spec.param, { spec, rank }]));
const byLowerName = new Map(CLICK_ID_SPECS.map((spec, rank) => [spec.param.toLowerCase(), { spec, rank }]));
const LONGEST_NAME = Math.max(...CLICK_ID_SPECS.map((spec) => spec.param.length));

/** The highest-precedence non-empty click id among the URL parameters; names match case-insensitively. */
export function findClickId(params: Record<string, string>): UrlClickId | undefined {
  let best: { spec: ClickIdSpec; rank: number; value: string } | undefined;
  for (const name in params) {
    const entry = byName.get(name) ?? (name.length <= LONGEST_NAME ? byLowerName.get(name.toLowerCase()) : undefined);
    if (entry === undefined) continue;
    const value = params[name]?.trim() ?? "";
    if (value === "" || (best !== undefined && best.rank <= entry.rank)) continue;
    best = { ...entry, value };
  }
  if (best === undefined) return undefined;
  return { type: best.spec.param, value: best.value, source: best.spec.source, medium: best.spec.medium };
}
