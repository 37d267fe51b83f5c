import type { DeviceType, EventType } from "./types.js";

export interface QualityInput {
  type: EventType;
  fraudScore: number;
  isBot: boolean;
  deviceType: DeviceType;
  /** True when the event has no usable IP address. */
  missingIp: boolean;
  /** True when the IP address has no country in the geo database. */
  unknownCountry: boolean;
  /** True when neither a referrer, a UTM parameter nor a click id says where the visitor came from. */
  unattributed: boolean;
  /** True when the URL is missing or not an absolute URL. */
  missingUrl: boolean;
}

/**
 * 100 less these penalties, floored at 0:
 * - half the fraud score, rounded down;
 * - 30 for a bot;
 * - 15 for a click that nothing attributes (no referrer, UTM parameter or click id);
 * - 10 for a click or page view without a usable URL;
 * - 10 for an unrecognised device (neither browser, OS nor device type);
 * - 10 without an IP address, or 5 for an address outside the geo database.
 */
export const QUALITY_PENALTIES = Object.freeze({
  bot: 30,
  unattributedClick: 15,
  missingUrl: 10,
  unknownDevice: 10,
  missingIp: 10,
  unknownCountry: 5,
});

export function qualityScore(input: QualityInput): number {
  let score = 100 - Math.floor(input.fraudScore / 2);
  if (input.isBot) score -= QUALITY_PENALTIES.bot;
  if (input.type === "click" && input.unattributed) score -= QUALITY_PENALTIES.unattributedClick;
  if ((input.type === "click" || input.type === "pageview") && input.missingUrl) score -= QUALITY_PENALTIES.missingUrl;
  if (input.deviceType === "other") score -= QUALITY_PENALTIES.unknownDevice;
  if (input.missingIp) score -= QUALITY_PENALTIES.missingIp;
  else if (input.unknownCountry) score -= QUALITY_PENALTIES.unknownCountry;
  return Math.max(0, score);
}
