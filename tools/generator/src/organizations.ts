import { CHANNELS, type Channel } from "./channels.js";
import { COUNTRIES, type Country, createAudience, currencyDigits } from "./countries.js";
import { createRandom, type Random, Stream } from "./prng.js";
import { createSeasonality, type Seasonality } from "./seasonality.js";
import type { Device } from "./user-agents.js";
import {
  type ConversionSpec,
  type CustomEventSpec,
  type PageKind,
  VERTICAL_SPECS,
  VERTICALS,
  type Vertical,
  type VerticalSpec,
} from "./verticals.js";
import { createChoiceFromRecord, createWeightedChoice, type WeightedChoice } from "./weighted.js";

/** What a caller sees of an organization. */
export interface Organization {
  readonly id: string;
  readonly name: string;
  /** Planned share of all generated events. */
  readonly share: number;
  readonly domain: string;
}

export interface SearchCampaign {
  readonly name: string;
  readonly landingPath: string;
  /** Keywords, URL-encoded as they appear in utm_term. */
  readonly terms: readonly string[];
}

export type SocialNetwork = "facebook" | "instagram" | "tiktok" | "linkedin";

/** The ad platform a campaign runs on: its click id, referrers and placements follow from it. */
export type AdPlatform = "meta" | "tiktok" | "linkedin" | "google" | "criteo";

/**
 * A paid-social or display campaign as an advertiser sets one up: one platform, its own landing
 * page (under a launch's path prefix that the launch's other campaigns share), and a flight —
 * evergreen campaigns run over the whole span, launches for a few weeks.
 */
export interface AdCampaign {
  readonly name: string;
  readonly platform: AdPlatform;
  readonly landingPath: string;
  /** The campaign runs in [startMs, endMs). */
  readonly startMs: number;
  readonly endMs: number;
  readonly weight: number;
}

/** A lifecycle mail (a flow of the email platform) and the page its call to action links to. */
export interface EmailFlow {
  readonly name: string;
  readonly landingPath: string;
}

export interface Affiliate {
  readonly network: "impact" | "awin" | "cj";
  readonly partner: string;
  /** The partner's site, or "" when its links are shared without one (apps, creators). */
  readonly host: string;
}

/** Everything the traffic of one organization is drawn from. */
export interface OrganizationModel extends Organization {
  readonly index: number;
  readonly origin: string;
  readonly vertical: Vertical;
  readonly spec: VerticalSpec;
  readonly home: Country;
  readonly audience: WeightedChoice<Country>;
  readonly devices: WeightedChoice<Device>;
  readonly seasonality: Seasonality;
  readonly currency: string;
  readonly perUsd: number;
  readonly currencyDigits: number;
  readonly baseConversionRate: number;
  readonly conversions: WeightedChoice<ConversionSpec>;
  readonly customEvents: WeightedChoice<CustomEventSpec>;
  /** Pages visited after landing, by popularity. */
  readonly pages: WeightedChoice<string>;
  readonly landings: Readonly<Record<Channel, WeightedChoice<string>>>;
  readonly firstTouch: WeightedChoice<Channel>;
  readonly returnTouch: WeightedChoice<Channel>;
  readonly activeChannels: ReadonlySet<Channel>;
  readonly searchCampaigns: WeightedChoice<SearchCampaign>;
  /** Share of Google Ads clicks tagged only by auto-tagging (a gclid, no utm parameters). */
  readonly autoTaggedShare: number;
  readonly bingShare: number;
  readonly socialNetworks: WeightedChoice<SocialNetwork>;
  /** Share of Meta clicks placed on Instagram rather than Facebook. */
  readonly instagramShare: number;
  readonly socialCampaigns: readonly AdCampaign[];
  readonly socialContents: readonly string[];
  readonly displayCampaigns: readonly AdCampaign[];
  readonly affiliates: WeightedChoice<Affiliate>;
  readonly emailSource: string;
  readonly lifecycleCampaigns: readonly EmailFlow[];
  /** Pages a newsletter issue may feature (each issue links mostly to one of them). */
  readonly featurePaths: readonly string[];
  readonly referralHosts: WeightedChoice<string>;
  /** Words the site's pages and the visitors' search terms are made of. */
  readonly topics: readonly string[];
  readonly orderPrefix: string;
  /** Planned share of events from crawlers and from click fraud. */
  readonly botShare: number;
  readonly fraudShare: number;
}

const NAME_WORDS = [
  "Northwind",
  "Bluebird",
  "Copperleaf",
  "Summit",
  "Harbor",
  "Juniper",
  "Atlas",
  "Evergreen",
  "Lumen",
  "Quill",
  "Maple",
  "Orbit",
  "Pioneer",
  "Cedar",
  "Nimbus",
  "Brightline",
  "Kestrel",
  "Sable",
  "Fjord",
  "Tandem",
  "Meridian",
  "Alder",
  "Beacon",
  "Cobalt",
  "Driftwood",
  "Ember",
  "Foxglove",
  "Granite",
  "Halcyon",
  "Ironwood",
  "Lark",
  "Mosaic",
  "Oakridge",
  "Prism",
  "Redwood",
  "Saltmarsh",
  "Tidewater",
  "Upland",
  "Vantage",
  "Willow",
  "Zephyr",
  "Aurora",
  "Basalt",
  "Clearwater",
  "Dovetail",
  "Fieldstone",
  "Greenway",
  "Highland",
];

const HOME_COUNTRY_WEIGHTS: Readonly<Record<string, number>> = {
  US: 40,
  GB: 10,
  DE: 9,
  FR: 6,
  CA: 5,
  AU: 4,
  NL: 3,
  ES: 3,
  IT: 3,
  SE: 2,
  PL: 2,
  BR: 4,
  MX: 2,
  IN: 4,
  JP: 3,
};

const SOCIAL_CAMPAIGNS = [
  "prospecting_broad",
  "retargeting_viewed_7d",
  "lookalike_purchasers_1pct",
  "ugc_video_q2",
  "catalog_sales",
  "brand_awareness_reach",
];
const SOCIAL_CONTENTS = ["video_15s", "carousel_a", "carousel_b", "static_hero", "ugc_creator_1", "ugc_creator_2"];
const DISPLAY_CAMPAIGNS = ["remarketing_30d", "prospecting_inmarket", "youtube_awareness", "remarketing_cart_7d"];
const AFFILIATES: readonly Affiliate[] = [
  { network: "impact", partner: "retailmenot", host: "www.retailmenot.com" },
  { network: "impact", partner: "honey", host: "www.joinhoney.com" },
  { network: "awin", partner: "topcashback", host: "www.topcashback.com" },
  { network: "cj", partner: "slickdeals", host: "slickdeals.net" },
  { network: "cj", partner: "wirecutter", host: "www.nytimes.com" },
  { network: "impact", partner: "creator_collective", host: "" },
  { network: "awin", partner: "rakuten_rewards", host: "www.rakuten.com" },
];
const EMAIL_SOURCES: Readonly<Record<Vertical, readonly string[]>> = {
  ecommerce: ["klaviyo", "klaviyo", "mailchimp", "newsletter"],
  saas: ["hubspot", "customerio", "newsletter"],
  leadgen: ["mailchimp", "hubspot", "newsletter"],
  media: ["newsletter", "sailthru", "mailchimp"],
};
const LIFECYCLE: Readonly<Record<Vertical, readonly string[]>> = {
  ecommerce: ["welcome_series", "abandoned_cart", "browse_abandonment", "winback_60d", "back_in_stock"],
  saas: ["onboarding_day_3", "trial_ending", "product_update", "webinar_invite"],
  leadgen: ["quote_followup", "seasonal_offer", "review_request"],
  media: ["morning_brief", "weekly_digest", "breaking_news"],
};

/** Zipf-like shares, largest first: a few organizations hold most of the traffic. */
function organizationShares(rng: Random, count: number): number[] {
  const raw = Array.from({ length: count }, (_, i) => (i + 1) ** -1.1 * Math.exp(0.25 * rng.normal()));
  raw.sort((a, b) => b - a);
  const total = raw.reduce((sum, x) => sum + x, 0);
  return raw.map((x) => x / total);
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function perturb(rng: Random, weights: Readonly<Record<Channel, number>>, drop: ReadonlySet<Channel>) {
  const out = {} as Record<Channel, number>;
  for (const channel of CHANNELS) {
    out[channel] = drop.has(channel) ? 0 : weights[channel] * Math.exp(0.35 * rng.normal());
  }
  return out;
}

interface Page {
  readonly path: string;
  readonly kind: PageKind;
  readonly popularity: number;
}

function buildPages(rng: Random, spec: VerticalSpec, year: number): Page[] {
  const pages: Page[] = [];
  const seen = new Set<string>();
  for (const section of spec.sections) {
    const words = [...section.words];
    for (let i = 0; i < section.count; i++) {
      let path = section.pattern;
      if (path.includes("{w}")) {
        const word = words.length > 0 ? (words.splice(rng.int(words.length), 1)[0] as string) : rng.pick(section.words);
        path = path.replace("{w}", word);
      }
      if (path.includes("{y}")) path = path.replace("{y}", `${year}/${String(1 + rng.int(12)).padStart(2, "0")}`);
      let unique = path;
      for (let n = 2; seen.has(unique); n++) unique = `${path}-${n}`;
      seen.add(unique);
      pages.push({ path: unique, kind: section.kind, popularity: 0 });
    }
  }
  // Popularity: Zipf over a shuffled order, with the home page at the top.
  return shuffle(rng, pages).map((page, rank) => ({
    ...page,
    popularity: page.kind === "home" ? 0.6 : 1 / (rank + 2) ** 0.9,
  }));
}

function shuffle<T>(rng: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

function topicWords(spec: VerticalSpec): string[] {
  const words = spec.sections.find((s) => s.kind === (spec.vertical === "media" ? "category" : "product"))?.words ?? [];
  return words.map((w) => w.replaceAll("-", " "));
}

export interface OrganizationPlan {
  seed: number;
  count: number;
  idPrefix: string;
  start: Date;
  end: Date;
}

/** Names of product launches; a launch's campaigns land under `/lp/<launch>/`. */
const LAUNCHES = [
  "spring-drop",
  "summer-sale",
  "back-to-school",
  "holiday-gift-guide",
  "new-collection",
  "founders-offer",
  "free-trial",
  "webinar-series",
  "black-friday",
  "anniversary",
];
const EVERGREEN = /^(prospecting_broad|retargeting|remarketing)/;
const DAY_MS = 86_400_000;

/**
 * Gives each campaign of one channel its platform, landing page and flight. Campaigns are grouped
 * into launches of one to three in list order; each lands on its own page under the launch's
 * prefix. Evergreen campaigns (broad prospecting, retargeting) run all the time, the others for
 * 2–6 weeks somewhere in the span (some started before it).
 */
function planAdCampaigns(
  rng: Random,
  names: readonly string[],
  platformOf: (name: string) => AdPlatform,
  launches: string[],
  startMs: number,
  endMs: number,
): AdCampaign[] {
  const out: AdCampaign[] = [];
  let launch = "";
  let left = 0;
  for (const name of names) {
    if (left === 0) {
      launch =
        launches.length > 0 ? (launches.splice(rng.int(launches.length), 1)[0] as string) : `launch-${out.length}`;
      left = 1 + rng.int(3);
    }
    left--;
    const evergreen = EVERGREEN.test(name);
    const days = 14 + rng.int(29);
    const flightStart = startMs - 30 * DAY_MS + rng.float() * (endMs - startMs + 23 * DAY_MS);
    out.push({
      name,
      platform: platformOf(name),
      landingPath: `/lp/${launch}/${name.replaceAll("_", "-")}`,
      startMs: evergreen ? Number.NEGATIVE_INFINITY : flightStart,
      endMs: evergreen ? Number.POSITIVE_INFINITY : flightStart + days * DAY_MS,
      weight: 0.5 + rng.float() * 1.5,
    });
  }
  return out;
}

export function createOrganizations(plan: OrganizationPlan): OrganizationModel[] {
  const shares = organizationShares(createRandom(plan.seed, Stream.plan, 0), plan.count);
  const width = Math.max(4, String(plan.count).length);
  const takenDomains = new Set<string>();
  const homeChoice = createWeightedChoice(COUNTRIES.map((c) => [c, HOME_COUNTRY_WEIGHTS[c.code] ?? 0] as const));
  const verticalChoice = createWeightedChoice(VERTICALS.map((v) => [v, VERTICAL_SPECS[v].weight] as const));
  return shares.map((share, index) => {
    const rng = createRandom(plan.seed, Stream.organization, index);
    const vertical = verticalChoice.sample(rng);
    const spec = VERTICAL_SPECS[vertical];
    const home = homeChoice.sample(rng);
    const name = `${rng.pick(NAME_WORDS)} ${rng.pick(spec.nameSuffixes)}`;
    const tld = vertical === "saas" && rng.chance(0.5) ? ".io" : rng.chance(0.7) ? home.tld : ".com";
    const label = slug(name).replaceAll("-", "");
    let domain = `${label}${tld}`;
    for (let n = 2; takenDomains.has(domain); n++) domain = `${label}${n}${tld}`;
    takenDomains.add(domain);
    const id = `${plan.idPrefix}_${String(index + 1).padStart(width, "0")}`;

    const drop = new Set<Channel>();
    if (rng.chance(0.08)) drop.add("paid_search");
    if (rng.chance(vertical === "saas" || vertical === "leadgen" ? 0.35 : 0.15)) drop.add("paid_social");
    if (rng.chance(0.35)) drop.add("display");
    if (rng.chance(vertical === "ecommerce" ? 0.3 : 0.7)) drop.add("affiliate");
    const firstWeights = perturb(rng, spec.firstTouch, drop);
    const returnWeights = perturb(rng, spec.returnTouch, drop);
    const activeChannels = new Set(CHANNELS.filter((c) => firstWeights[c] > 0 || returnWeights[c] > 0));

    const pages = buildPages(rng, spec, plan.start.getUTCFullYear());
    const landings = {} as Record<Channel, WeightedChoice<string>>;
    for (const channel of CHANNELS) {
      const kinds = spec.landing[channel];
      const entries = pages.map((p) => [p.path, p.popularity * (kinds[p.kind] ?? 0)] as const);
      landings[channel] = entries.some(([, w]) => w > 0)
        ? createWeightedChoice(entries)
        : createWeightedChoice([["/", 1]]);
    }
    const topics = topicWords(spec);
    const brand = name.toLowerCase();
    const landingPaths = pages.filter((p) => p.kind === "landing" || p.kind === "category").map((p) => p.path);
    const searchCampaigns = new Map<string, readonly [SearchCampaign, number]>();
    // Each non-brand search campaign lands on a page of its own while the site has one to spare
    // (an ad group's landing page is chosen for its keywords): the drawn page, or the first free
    // one after it when another campaign has it already. The draws stay the same.
    const taken = new Set<string>();
    const ownPage = (drawn: string) => {
      const at = landingPaths.indexOf(drawn);
      const free = [...landingPaths.slice(at), ...landingPaths.slice(0, at)].find((p) => !taken.has(p)) ?? drawn;
      taken.add(free);
      return free;
    };
    const addSearchCampaign = (name: string, landingPath: string, terms: readonly string[], weight: number) => {
      const encoded = terms.map((term) => encodeURIComponent(term).replaceAll("%20", "+"));
      if (!searchCampaigns.has(name)) searchCampaigns.set(name, [{ name, landingPath, terms: encoded }, weight]);
    };
    addSearchCampaign(
      `brand_${home.code.toLowerCase()}`,
      "/",
      [brand, `${brand} discount`, `${brand} reviews`, domain],
      4,
    );
    for (let i = 0; i < 2 + rng.int(4); i++) {
      const topic = rng.pick(topics);
      const terms = Array.from({ length: 3 }, () => rng.pick(spec.searchTerms).replace("{p}", topic));
      addSearchCampaign(
        `generic_${slug(topic).replaceAll("-", "_")}`,
        ownPage(rng.pick(landingPaths)),
        terms,
        2 + rng.float() * 4,
      );
    }
    addSearchCampaign("competitor_conquest", ownPage(rng.pick(landingPaths)), [`${rng.pick(topics)} alternative`], 1);

    const socialNetworks: Record<SocialNetwork, number> =
      vertical === "saas" || vertical === "leadgen"
        ? { facebook: 3, instagram: 1, tiktok: 0.5, linkedin: 5 }
        : { facebook: 5, instagram: 3, tiktok: 2.5, linkedin: vertical === "media" ? 0.5 : 0 };
    const affiliates = AFFILIATES.filter(() => rng.chance(0.6));
    const referralHosts = shuffle(rng, [...spec.referralHosts]).slice(0, 4 + rng.int(spec.referralHosts.length - 3));
    const conversionRate = spec.baseConversionRate * Math.exp(0.3 * rng.normal());
    const platforms = createWeightedChoice<AdPlatform>([
      ["meta", socialNetworks.facebook + socialNetworks.instagram],
      ["tiktok", socialNetworks.tiktok],
      ["linkedin", socialNetworks.linkedin],
    ]);
    // The campaigns' own stream: the organization's other draws stay what they were.
    const campaignRng = createRandom(plan.seed, Stream.campaigns, index);
    const launches = [...LAUNCHES];
    const startMs = plan.start.getTime();
    const endMs = plan.end.getTime();
    const socialCampaigns = planAdCampaigns(
      campaignRng,
      SOCIAL_CAMPAIGNS.filter((c) => c !== "prospecting_broad" && campaignRng.chance(0.6)).concat([
        "prospecting_broad",
      ]),
      () => platforms.sample(campaignRng),
      launches,
      startMs,
      endMs,
    );
    const displayCampaigns = planAdCampaigns(
      campaignRng,
      DISPLAY_CAMPAIGNS.filter((c) => c !== "remarketing_30d" && campaignRng.chance(0.6)).concat(["remarketing_30d"]),
      (name) => (name.startsWith("remarketing") && campaignRng.chance(0.4) ? "criteo" : "google"),
      launches,
      startMs,
      endMs,
    );
    const featurePaths = pages.filter((p) => p.kind !== "home" && p.kind !== "info").map((p) => p.path);

    return {
      index,
      id,
      name,
      share,
      domain,
      origin: `https://${domain}`,
      vertical,
      spec,
      home,
      audience: createAudience(home, 0.55 + rng.float() * 0.35),
      devices: createChoiceFromRecord(spec.devices),
      seasonality: createSeasonality(spec.rhythm, home.utcOffsetHours),
      currency: home.currency,
      perUsd: home.perUsd,
      currencyDigits: currencyDigits(home.currency),
      baseConversionRate: conversionRate,
      conversions: createWeightedChoice(spec.conversions.map((c) => [c, c.weight] as const)),
      customEvents: createWeightedChoice(spec.customEvents.map((c) => [c, c.weight] as const)),
      pages: createWeightedChoice(
        pages.filter((p) => p.kind !== "landing").map((p) => [p.path, p.popularity] as const),
      ),
      landings,
      firstTouch: createChoiceFromRecord(firstWeights),
      returnTouch: createChoiceFromRecord(returnWeights),
      activeChannels,
      searchCampaigns: createWeightedChoice([...searchCampaigns.values()]),
      autoTaggedShare: 0.15 + rng.float() * 0.3,
      bingShare: vertical === "saas" ? 0.2 : 0.12,
      socialNetworks: createChoiceFromRecord(socialNetworks),
      instagramShare: socialNetworks.instagram / (socialNetworks.facebook + socialNetworks.instagram),
      socialCampaigns,
      socialContents: SOCIAL_CONTENTS.filter(() => rng.chance(0.6)).concat(["video_15s"]),
      displayCampaigns,
      affiliates: createWeightedChoice(
        (affiliates.length > 0 ? affiliates : [AFFILIATES[0] as Affiliate]).map((a, i) => [a, 1 / (i + 1)] as const),
      ),
      emailSource: rng.pick(EMAIL_SOURCES[vertical]),
      lifecycleCampaigns: LIFECYCLE[vertical].map((name) => ({ name, landingPath: `/${name.replaceAll("_", "-")}` })),
      featurePaths: featurePaths.length > 0 ? featurePaths : ["/"],
      referralHosts: createWeightedChoice(referralHosts.map((host, i) => [host, 1 / (i + 1)] as const)),
      topics,
      orderPrefix: String(1000 + rng.int(9000)),
      botShare: 0.03 + rng.float() * 0.08,
      fraudShare: drop.has("paid_search") && drop.has("paid_social") ? 0 : 0.004 + rng.float() * 0.02,
    };
  });
}
