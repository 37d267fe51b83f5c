import type { Channel } from "./channels.js";
import { COUNTRIES, type Country, createAudience } from "./countries.js";
import type { PatternKind, PatternTally, PatternTruth } from "./ground-truth.js";
import type { OrganizationModel } from "./organizations.js";
import { createRandom, type Random, Stream } from "./prng.js";
import type { Touch } from "./touches.js";
import { DEVICES, type Device } from "./user-agents.js";
import { createWeightedChoice, type WeightedChoice } from "./weighted.js";

/**
 * Hidden campaign-like patterns: bursts of unattributed traffic with a common origin that a
 * marketer never tagged (a podcast read, a newsletter mention, a partner's page, a creator's
 * post, a QR code), concentrated in a time window, a few countries and one kind of device,
 * and converting better than the organization's usual traffic.
 */
export interface PatternPlan {
  /** The pattern's ground truth before any event is counted. */
  readonly template: PatternTruth;
  readonly organization: OrganizationModel;
  readonly channel: Channel;
  readonly url: string;
  readonly referrer: string;
  readonly lift: number;
  readonly countries: WeightedChoice<Country>;
  readonly devices: WeightedChoice<Device>;
  readonly startMs: number;
  readonly endMs: number;
  /** Planned share of the organization's events. */
  readonly share: number;
  /** Visitors to bring, set by calibration. */
  visitors: number;
  /** Fraction of the pattern's arrivals before `ms`. */
  arrivedBy(ms: number): number;
  /** Mean of `f` over the arrival times (for calibration). */
  meanOver(f: (ms: number) => number): number;
}

interface KindSpec {
  readonly kind: PatternKind;
  readonly weight: number;
  readonly days: readonly [number, number];
  /** Half-life of the decay after the first day, in hours; 0 for a plateau. */
  readonly halfLifeHours: number;
  readonly device: Device;
  readonly deviceShare: readonly [number, number];
  readonly names: readonly string[];
}

const KINDS: readonly KindSpec[] = [
  {
    kind: "newsletter",
    weight: 3,
    days: [2, 5],
    halfLifeHours: 14,
    device: "desktop",
    deviceShare: [0.6, 0.75],
    names: [
      "thedailyupside",
      "growthmemo",
      "weekendreads",
      "techpulse",
      "runnersdigest",
      "homesteadnotes",
      "marketbrief",
      "thecuratedlist",
    ],
  },
  {
    kind: "podcast",
    weight: 3,
    days: [6, 14],
    halfLifeHours: 60,
    device: "mobile",
    deviceShare: [0.7, 0.85],
    names: [
      "foundersjourney",
      "trailtalk",
      "moneyhour",
      "thecraftpod",
      "everydaycook",
      "saasclub",
      "thelongrun",
      "smallbizshow",
    ],
  },
  {
    kind: "partner",
    weight: 2,
    days: [8, 21],
    halfLifeHours: 0,
    device: "desktop",
    deviceShare: [0.55, 0.7],
    names: [
      "outdoorgearlab",
      "homechefhub",
      "smallbizdaily",
      "remotetools",
      "travelhacker",
      "budgetnest",
      "gadgetflow",
      "fitfamreview",
    ],
  },
  {
    kind: "influencer",
    weight: 2,
    days: [2, 6],
    halfLifeHours: 20,
    device: "mobile",
    deviceShare: [0.85, 0.95],
    names: [
      "alexruns",
      "mayacooks",
      "jordanbuilds",
      "samtravels",
      "lenastyle",
      "devwithdan",
      "nora.makes",
      "theplantdad",
    ],
  },
  {
    kind: "offline",
    weight: 1,
    days: [7, 14],
    halfLifeHours: 0,
    device: "mobile",
    deviceShare: [0.8, 0.9],
    names: ["tv", "radio", "qr", "mailer", "billboard"],
  },
];
const KIND_CHOICE = createWeightedChoice(KINDS.map((k) => [k, k.weight] as const));
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** How many patterns an organization with this many planned events hides. */
export function patternCount(plannedEvents: number): number {
  if (plannedEvents < 8000) return 0;
  return Math.min(5, 1 + Math.floor(Math.log2(plannedEvents / 8000)));
}

function describe(kind: PatternKind, name: string, host: string, path: string, parameter: string): string {
  const where = `${path}${parameter === "" ? "" : `?${parameter}`}`;
  switch (kind) {
    case "newsletter":
      return `newsletter ${name} links to ${where} (referrer ${host})`;
    case "podcast":
      return `podcast ${name} reads out ${where}`;
    case "partner":
      return `partner site ${host} links to ${where}`;
    case "influencer":
      return `creator ${name} shares ${where} in a social app that strips the referrer`;
    case "offline":
      return `${name} spots send people to ${where}`;
  }
}

function place(
  kind: KindSpec,
  name: string,
  org: OrganizationModel,
  rng: Random,
): { host: string; referrerPath: string; path: string; parameter: string } {
  const existing = () => org.landings.referral.sample(rng);
  switch (kind.kind) {
    case "newsletter": {
      const host = rng.chance(0.5) ? `${name}.substack.com` : `newsletter.${name}.com`;
      return { host, referrerPath: `/p/issue-${20 + rng.int(300)}`, path: existing(), parameter: "" };
    }
    case "podcast":
      return rng.chance(0.5)
        ? { host: "", referrerPath: "", path: `/${name}`, parameter: "" }
        : { host: "", referrerPath: "", path: "/podcast", parameter: `ref=${name}` };
    case "partner":
      return {
        host: `www.${name}.com`,
        referrerPath: `/reviews/best-${rng.pick(org.topics).replaceAll(" ", "-")}`,
        path: `/partners/${name}`,
        parameter: `ref=${name}`,
      };
    case "influencer":
      return rng.chance(0.5)
        ? { host: "", referrerPath: "", path: existing(), parameter: `via=${name}` }
        : {
            host: "",
            referrerPath: "",
            path: existing(),
            parameter: `code=${name.replace(/[^a-z]/g, "").toUpperCase()}15`,
          };
    case "offline":
      return { host: "", referrerPath: "", path: `/${name}`, parameter: rng.chance(0.5) ? "src=qr" : "" };
  }
}

export function planPatterns(
  org: OrganizationModel,
  seed: number,
  plannedEvents: number,
  spanStart: number,
  spanEnd: number,
): PatternPlan[] {
  const rng = createRandom(seed, Stream.pattern, org.index);
  const count = patternCount(plannedEvents);
  const plans: PatternPlan[] = [];
  const usedNames = new Set<string>();
  const span = spanEnd - spanStart;
  for (let attempt = 0; plans.length < count && attempt < 4 * count; attempt++) {
    const kind = KIND_CHOICE.sample(rng);
    const name = rng.pick(kind.names);
    if (usedNames.has(name)) continue;
    usedNames.add(name);
    const where = place(kind, name, org, rng);
    const duration = Math.min(rng.between(kind.days[0], kind.days[1]) * DAY, span * 0.6);
    const startMs = Math.floor(spanStart + rng.float() * (span - duration));
    const endMs = Math.floor(startMs + duration);
    const mainCountries: Country[] = [rng.chance(0.75) ? org.home : rng.pick(COUNTRIES)];
    if (rng.chance(0.4)) mainCountries.push(rng.pick(COUNTRIES.filter((c) => !mainCountries.includes(c))));
    const countryShare = 0.8 + rng.float() * 0.12;
    const background = createAudience(org.home, 0.5);
    const countries = createWeightedChoice([
      ...mainCountries.map((c) => [c, countryShare / mainCountries.length] as const),
      ...background.items.map((c, j) => [c, (1 - countryShare) * (background.probabilities[j] as number)] as const),
    ]);
    const deviceShare = rng.between(kind.deviceShare[0], kind.deviceShare[1]);
    const others = DEVICES.filter((d) => d !== kind.device);
    const devices = createWeightedChoice<Device>([
      [kind.device, deviceShare],
      [others[0] as Device, (1 - deviceShare) * 0.7],
      [others[1] as Device, (1 - deviceShare) * 0.3],
    ]);
    const lift = rng.between(2, 3.5);
    const channel: Channel = where.host === "" ? "direct" : "referral";
    const url = `${org.origin}${where.path}${where.parameter === "" ? "" : `?${where.parameter}`}`;
    const referrer = where.host === "" ? "" : `https://${where.host}${where.referrerPath}`;

    // Arrival density over the window: shape × the site's daily rhythm, on a fine grid.
    const steps = Math.max(24, Math.min(1000, Math.ceil((endMs - startMs) / HOUR)));
    const step = (endMs - startMs) / steps;
    const cumulative = new Float64Array(steps + 1);
    const decay = kind.halfLifeHours > 0 ? Math.LN2 / (kind.halfLifeHours * HOUR) : 0;
    const rampMs = Math.min(6 * HOUR, (endMs - startMs) / 10);
    const density = (ms: number) => {
      const x = ms - startMs;
      const shape = decay > 0 ? Math.exp(-decay * Math.max(0, x - rampMs)) : 1;
      const ramp = x < rampMs ? 0.3 + (0.7 * x) / rampMs : 1;
      return shape * ramp * org.seasonality.at(ms);
    };
    for (let s = 0; s < steps; s++) {
      cumulative[s + 1] = (cumulative[s] as number) + density(startMs + (s + 0.5) * step);
    }
    const total = cumulative[steps] as number;
    for (let s = 0; s <= steps; s++) cumulative[s] = (cumulative[s] as number) / total;
    const arrivedBy = (ms: number) => {
      if (ms <= startMs) return 0;
      if (ms >= endMs) return 1;
      const x = (ms - startMs) / step;
      const s = Math.floor(x);
      const low = cumulative[s] as number;
      return low + ((cumulative[s + 1] as number) - low) * (x - s);
    };
    const meanOver = (f: (ms: number) => number) => {
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        sum += ((cumulative[s + 1] as number) - (cumulative[s] as number)) * f(startMs + (s + 0.5) * step);
      }
      return sum;
    };

    plans.push({
      template: {
        id: `${org.id}/pattern-${plans.length + 1}`,
        organizationId: org.id,
        kind: kind.kind,
        description: describe(kind.kind, name, where.host, where.path, where.parameter),
        referrerHost: where.host,
        landingPath: where.path,
        queryParameter: where.parameter,
        channel,
        countries: mainCountries.map((c) => c.code),
        countryShare,
        device: kind.device,
        deviceShare,
        start: new Date(startMs).toISOString(),
        end: new Date(endMs).toISOString(),
        conversionLift: lift,
        visitors: 0,
        sessions: 0,
        events: 0,
        conversions: 0,
        revenue: 0,
      },
      organization: org,
      channel,
      url,
      referrer,
      lift,
      countries,
      devices,
      startMs,
      endMs,
      share: 0.015 + rng.float() * 0.03,
      visitors: 0,
      arrivedBy,
      meanOver,
    });
  }
  return plans;
}

/** A pattern during one run of the generator, with its counters. */
export interface PatternRun {
  readonly plan: PatternPlan;
  readonly tally: PatternTally;
}

export function startPattern(plan: PatternPlan): PatternRun {
  return { plan, tally: { truth: structuredClone(plan.template), revenueMinor: 0 } };
}

/** Fills `touch` for a session that arrives through the pattern. */
export function patternTouch(touch: Touch, plan: PatternPlan): Touch {
  touch.channel = plan.channel;
  touch.url = plan.url;
  touch.referrer = plan.referrer;
  touch.clickId = "";
  touch.tracked = false;
  return touch;
}
