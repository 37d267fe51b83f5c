import { positionFactor } from "./channels.js";
import { expectedSessionEvents, LOOKBACK_MS, returnDelay, returnProbability } from "./journeys.js";
import type { OrganizationModel } from "./organizations.js";
import type { PatternPlan } from "./patterns.js";
import { createRandom, Stream } from "./prng.js";
import { MEAN_CRAWL_REQUESTS } from "./user-agents.js";

/**
 * Arrival rates that make the expected number of events match the plan. A visitor arriving
 * at t brings the events of a first session plus those of the returns that still fall before
 * the end of the span; the returns' timing is sampled once from the journey model itself.
 */
export interface ReturnModel {
  /** Expected return sessions within `remainingMs` of the first visit. */
  expectedReturns(remainingMs: number): number;
  /** Mean position factor of return sessions. */
  readonly meanReturnPosition: number;
}

const JOURNEY_SAMPLES = 20_000;

export function createReturnModel(seed: number): ReturnModel {
  const rng = createRandom(seed, Stream.calibration, 0);
  const offsets: number[] = [];
  let positionSum = 0;
  for (let v = 0; v < JOURNEY_SAMPLES; v++) {
    let offset = 0;
    for (let session = 0; rng.chance(returnProbability(session)); session++) {
      offset += returnDelay(rng);
      if (offset > LOOKBACK_MS) break;
      offsets.push(offset);
      positionSum += positionFactor(session + 1);
    }
  }
  const sorted = Float64Array.from(offsets).sort();
  const all = sorted.length / JOURNEY_SAMPLES;
  return {
    meanReturnPosition: sorted.length > 0 ? positionSum / sorted.length : 1,
    expectedReturns(remainingMs) {
      if (remainingMs >= LOOKBACK_MS) return all;
      let low = 0;
      let high = sorted.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((sorted[mid] as number) <= remainingMs) low = mid + 1;
        else high = mid;
      }
      return low / JOURNEY_SAMPLES;
    },
  };
}

export interface OrganizationRates {
  /** Human visitors per millisecond at seasonality 1. */
  readonly visitorsPerMs: number;
  /** Crawler visits per millisecond. */
  readonly crawlsPerMs: number;
}

export interface CalibrationInput {
  readonly organizations: readonly OrganizationModel[];
  readonly plannedEvents: readonly number[];
  readonly fraudEvents: readonly number[];
  readonly patterns: readonly PatternPlan[];
  readonly startMs: number;
  readonly endMs: number;
  readonly returns: ReturnModel;
}

function expectedFirstSession(org: OrganizationModel): number {
  let sum = 0;
  org.firstTouch.items.forEach((channel, i) => {
    sum += (org.firstTouch.probabilities[i] as number) * expectedSessionEvents(org, channel, positionFactor(0));
  });
  return sum;
}

function expectedReturnSession(org: OrganizationModel, meanPosition: number): number {
  let sum = 0;
  org.returnTouch.items.forEach((channel, i) => {
    sum += (org.returnTouch.probabilities[i] as number) * expectedSessionEvents(org, channel, meanPosition);
  });
  return sum;
}

/** Sets each pattern's number of visitors and returns each organization's arrival rates. */
export function calibrate(input: CalibrationInput): OrganizationRates[] {
  const { startMs, endMs, returns } = input;
  const span = Math.max(1, endMs - startMs);
  const step = Math.min(3_600_000, span / 200);
  // ∫ season(t) dt and ∫ season(t) · returns(end − t) dt, shared by organizations with the same rhythm.
  const integrals = new Map<string, readonly [number, number]>();
  const integral = (org: OrganizationModel) => {
    const key = `${org.spec.rhythm}/${org.home.utcOffsetHours}`;
    let found = integrals.get(key);
    if (!found) {
      let plain = 0;
      let withReturns = 0;
      for (let t = startMs; t < endMs; t += step) {
        const width = Math.min(step, endMs - t);
        const mid = t + width / 2;
        const w = org.seasonality.at(mid) * width;
        plain += w;
        withReturns += w * returns.expectedReturns(endMs - mid);
      }
      found = [plain, withReturns] as const;
      integrals.set(key, found);
    }
    return found;
  };

  const patternEvents = new Array<number>(input.organizations.length).fill(0);
  for (const pattern of input.patterns) {
    const org = pattern.organization;
    const planned = input.plannedEvents[org.index] as number;
    const perVisitor =
      expectedSessionEvents(org, pattern.channel, positionFactor(0), pattern.lift) +
      expectedReturnSession(org, returns.meanReturnPosition) *
        pattern.meanOver((ms) => returns.expectedReturns(endMs - ms));
    pattern.visitors = (planned * pattern.share) / perVisitor;
    patternEvents[org.index] = (patternEvents[org.index] as number) + planned * pattern.share;
  }

  return input.organizations.map((org) => {
    const planned = input.plannedEvents[org.index] as number;
    const bots = planned * org.botShare;
    const humans = Math.max(
      0,
      planned - bots - (input.fraudEvents[org.index] as number) - (patternEvents[org.index] as number),
    );
    const [plain, withReturns] = integral(org);
    const perUnitRate =
      expectedFirstSession(org) * plain + expectedReturnSession(org, returns.meanReturnPosition) * withReturns;
    return {
      visitorsPerMs: perUnitRate > 0 ? humans / perUnitRate : 0,
      crawlsPerMs: bots / MEAN_CRAWL_REQUESTS / span,
    };
  });
}
