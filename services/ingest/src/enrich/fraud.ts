import type { FraudFacts, FraudFlag } from "./types.js";

/**
 * What each flag adds to the fraud score (capped at 100):
 * - crawler_ua 40: a known crawler's user agent (isbot).
 * - empty_user_agent 40: no user agent at all.
 * - datacenter_network 30: the address belongs to a cloud or hosting provider's network.
 * - ip_velocity 30: more events from the address in the velocity window than allowed.
 * - inconsistent_headers 25: client hints contradicting the user agent.
 * - impossible_timing 25: an event from the future, or clicks/conversions at a rate no person reaches.
 * - missing_headers 15: a browser user agent without Accept-Language.
 */
export const FRAUD_WEIGHTS: Readonly<Record<FraudFlag, number>> = Object.freeze({
  crawler_ua: 40,
  empty_user_agent: 40,
  datacenter_network: 30,
  ip_velocity: 30,
  inconsistent_headers: 25,
  impossible_timing: 25,
  missing_headers: 15,
});

export const MAX_FRAUD_SCORE = 100;

export function scoreFraud(flags: FraudFlag[]): FraudFacts {
  let score = 0;
  for (const flag of flags) score += FRAUD_WEIGHTS[flag];
  return { score: Math.min(score, MAX_FRAUD_SCORE), flags };
}
