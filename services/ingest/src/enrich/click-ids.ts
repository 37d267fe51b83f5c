export interface ClickIdSpec {
  /** The URL parameter, as ad platforms spell it. */
  param: string;
  source: string;
  medium: string;
}

/** Ad-platform click ids, in order of precedence when a URL carries several. */
export const CLICK_ID_SPECS: readonly ClickIdSpec[] = [
  { param: "gclid", source: "google", medium: "cpc" },
  { param: "gbraid", source: "google", medium: "cpc" },
  { param: "wbraid", source: "google", medium: "cpc" },
  { param: "dclid", source: "google", medium: "display" },
  { param: "msclkid", source: "bing", medium: "cpc" },
  { param: "yclid", source: "yandex", medium: "cpc" },
  { param: "sznclid", source: "seznam", medium: "cpc" },
  { param: "fbclid", source: "facebook", medium: "paid_social" },
  { param: "ttclid", source: "tiktok", medium: "paid_social" },
  { param: "li_fat_id", source: "linkedin", medium: "paid_social" },
  { param: "twclid", source: "twitter", medium: "paid_social" },
  { param: "epik", source: "pinterest", medium: "paid_social" },
  { param: "rdt_cid", source: "reddit", medium: "paid_social" },
  { param: "ScCid", source: "snapchat", medium: "paid_social" },
  { param: "qclid", source: "quora", medium: "paid_social" },
  { param: "irclickid", source: "impact", medium: "affiliate" },
];

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
