import type { KnownReferrerClass } from "./referrer-sources.js";
import type { Channel } from "./types.js";

export interface ChannelInput {
  source: string;
  medium: string;
  /** The class of the source name ("google" → search), when it is a known one. */
  sourceClass: KnownReferrerClass | undefined;
}

const PAID_MEDIUM = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const DISPLAY_MEDIA = new Set(["display", "banner", "expandable", "interstitial", "cpm"]);
const AFFILIATE_MEDIA = new Set(["affiliate", "affiliates"]);
const SOCIAL_MEDIA = new Set(["social", "social-network", "social-media", "sm", "social network", "social media"]);
const EMAIL_NAMES = new Set(["email", "e-mail", "e_mail", "e mail"]);

/**
 * Default channel grouping after Google Analytics 4's, in this order: direct; internal; affiliate, display and paid
 * media (paid search or paid social by the source, else other); email; organic and social media; then the class of
 * the source (search engine, social network, mail service); referral; other.
 */
export function channelOf({ source, medium, sourceClass }: ChannelInput): Channel {
  if (source === "(direct)" && (medium === "(none)" || medium === "(not set)")) return "direct";
  if (medium === "internal") return "internal";
  if (AFFILIATE_MEDIA.has(medium)) return "affiliate";
  if (DISPLAY_MEDIA.has(medium)) return "display";
  if (PAID_MEDIUM.test(medium)) {
    if (sourceClass === "search") return "paid_search";
    if (sourceClass === "social" || medium.includes("social")) return "paid_social";
    return "other";
  }
  if (EMAIL_NAMES.has(medium) || EMAIL_NAMES.has(source)) return "email";
  if (medium === "organic") return "organic_search";
  if (SOCIAL_MEDIA.has(medium)) return "organic_social";
  if (sourceClass === "search") return "organic_search";
  if (sourceClass === "social") return "organic_social";
  if (sourceClass === "email") return "email";
  if (sourceClass === "paid") return "display";
  if (medium === "referral") return "referral";
  return "other";
}
