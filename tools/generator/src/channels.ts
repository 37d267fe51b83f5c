/**
 * Marketing channels: how a session's landing URL and referrer look for each, and the rules
 * that read the channel back from them. The ground truth counts touches by these rules, so
 * an ingest parser that follows the usual conventions derives the same channels.
 */
export type Channel =
  | "direct"
  | "organic_search"
  | "paid_search"
  | "organic_social"
  | "paid_social"
  | "email"
  | "referral"
  | "display"
  | "affiliate";

export const CHANNELS: readonly Channel[] = [
  "direct",
  "organic_search",
  "paid_search",
  "organic_social",
  "paid_social",
  "email",
  "referral",
  "display",
  "affiliate",
];

export interface ChannelBehaviour {
  /** Ad clicks go through a click tracker: the session starts with a `click` event. */
  readonly tracked: boolean;
  /** Chance that a non-converting session views only its landing page. */
  readonly bounce: number;
  /** Conversion rate relative to the organization's base rate. */
  readonly conversionFactor: number;
}

// High-intent channels (email, brand and generic search, direct) convert; awareness
// channels (display, social) bring visitors who convert later through another channel.
export const CHANNEL_BEHAVIOUR: Readonly<Record<Channel, ChannelBehaviour>> = {
  direct: { tracked: false, bounce: 0.38, conversionFactor: 1.5 },
  organic_search: { tracked: false, bounce: 0.46, conversionFactor: 1.0 },
  paid_search: { tracked: true, bounce: 0.44, conversionFactor: 1.45 },
  organic_social: { tracked: false, bounce: 0.62, conversionFactor: 0.35 },
  paid_social: { tracked: true, bounce: 0.64, conversionFactor: 0.45 },
  email: { tracked: false, bounce: 0.36, conversionFactor: 2.1 },
  referral: { tracked: false, bounce: 0.45, conversionFactor: 1.1 },
  display: { tracked: true, bounce: 0.74, conversionFactor: 0.25 },
  affiliate: { tracked: true, bounce: 0.4, conversionFactor: 1.35 },
};

/** Conversion rate by position of the session in the visitor's journey (0 = first visit). */
const POSITION_FACTOR: readonly number[] = [0.55, 1.15, 1.45, 1.65, 1.8, 1.9];

export function positionFactor(sessionIndex: number): number {
  return POSITION_FACTOR[Math.min(sessionIndex, POSITION_FACTOR.length - 1)] as number;
}

/** Share of tracked ad clicks that never load the landing page. */
export const CLICK_LOSS = 0.12;

const SEARCH_HOSTS =
  /(^|\.)(google\.[a-z.]+|bing\.com|duckduckgo\.com|search\.yahoo\.com|ecosia\.org|yandex\.[a-z]+|baidu\.com)$/;
const MAIL_HOSTS =
  /^(mail\.google\.com|outlook\.live\.com|outlook\.office\.com|outlook\.office365\.com|mail\.yahoo\.com)$/;
const SOCIAL_HOSTS =
  /(^|\.)(t\.co|twitter\.com|x\.com|facebook\.com|instagram\.com|reddit\.com|linkedin\.com|lnkd\.in|youtube\.com|pinterest\.com|tiktok\.com|threads\.net)$/;

const MEDIUMS: Readonly<Record<string, Channel>> = {
  cpc: "paid_search",
  ppc: "paid_search",
  paidsearch: "paid_search",
  paid_social: "paid_social",
  paidsocial: "paid_social",
  email: "email",
  display: "display",
  banner: "display",
  retargeting: "display",
  affiliate: "affiliate",
  social: "organic_social",
  referral: "referral",
};

const CLICK_ID_CHANNELS: ReadonlyArray<readonly [string, Channel]> = [
  ["gclid", "paid_search"],
  ["msclkid", "paid_search"],
  ["fbclid", "paid_social"],
  ["ttclid", "paid_social"],
  ["li_fat_id", "paid_social"],
  ["irclickid", "affiliate"],
  ["awc", "affiliate"],
  ["cjevent", "affiliate"],
];

/**
 * The channel of a landing, by the usual precedence: `utm_medium`, then a click-id
 * parameter, then the referrer's host (none = direct). Returns null for an internal
 * referrer (a page view inside a session, not a landing).
 */
export function classifyLanding(url: string, referrer: string): Channel | null {
  const landing = new URL(url);
  const medium = landing.searchParams.get("utm_medium");
  if (medium !== null) return MEDIUMS[medium.toLowerCase()] ?? "referral";
  for (const [parameter, channel] of CLICK_ID_CHANNELS) if (landing.searchParams.has(parameter)) return channel;
  if (referrer === "") return "direct";
  const host = new URL(referrer).hostname;
  if (host === landing.hostname) return null;
  if (MAIL_HOSTS.test(host)) return "email";
  if (SEARCH_HOSTS.test(host)) return "organic_search";
  if (SOCIAL_HOSTS.test(host)) return "organic_social";
  return "referral";
}
