// The URL parameters the product reads an event's origin from: campaign tags and ad-platform
// click ids. One list for ingest (which reads them), discovery (which looks past them for
// parameters the product does not understand yet) and the browser tracker (which keeps them
// from the landing URL for the rest of a session). Plain data, no imports: the tracker's
// bundle takes this file alone.

/** Campaign tags (UTM parameters), as ingest reads them from a landing URL. */
export const CAMPAIGN_PARAMS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "utm_id",
] as const;

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
