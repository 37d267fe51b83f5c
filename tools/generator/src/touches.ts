import { CHANNEL_BEHAVIOUR, type Channel } from "./channels.js";
import type { Country } from "./countries.js";
import type { AdCampaign, OrganizationModel } from "./organizations.js";
import { fmix32, type Random } from "./prng.js";

/** How one session arrives on the site: its landing URL and referrer, and the ad click id if any. */
export interface Touch {
  channel: Channel;
  url: string;
  referrer: string;
  clickId: string;
  /** The session starts with a tracked ad click. */
  tracked: boolean;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URL_SAFE = `${ALNUM}-_`;
const HEX = "0123456789abcdef";
const DAY = 86_400_000;

const gclid = (rng: Random) => `Cj0KCQjw${rng.token(80, URL_SAFE)}_BwE`;
const fbclid = (rng: Random) => `IwAR${rng.token(57, URL_SAFE)}`;
const ttclid = (rng: Random) => `E.C.P.${rng.token(54, URL_SAFE)}`;
const uuid = (rng: Random) =>
  `${rng.token(8, HEX)}-${rng.token(4, HEX)}-4${rng.token(3, HEX)}-a${rng.token(3, HEX)}-${rng.token(12, HEX)}`;

const ORGANIC_SOCIAL: ReadonlyArray<readonly [string, number]> = [
  ["https://t.co/", 16],
  ["https://l.facebook.com/", 18],
  ["https://m.facebook.com/", 8],
  ["https://www.reddit.com/", 12],
  ["https://out.reddit.com/", 4],
  ["https://www.linkedin.com/", 9],
  ["https://l.instagram.com/", 10],
  ["https://www.youtube.com/", 8],
  ["https://www.pinterest.com/", 7],
  ["https://www.threads.net/", 2],
];
const ORGANIC_SOCIAL_TOTAL = ORGANIC_SOCIAL.reduce((s, [, w]) => s + w, 0);
const PUBLISHERS = [
  "https://www.weather.com/",
  "https://www.allrecipes.com/",
  "https://www.espn.com/",
  "https://www.theguardian.com/",
  "https://www.accuweather.com/",
  "https://www.foxnews.com/",
  "https://www.dictionary.com/",
  "https://www.ign.com/",
];
const REFERRAL_PATHS = ["best-picks", "reviews", "roundup", "guide", "top-10", "comparison", "thread", "news", "story"];

function weighted(rng: Random, entries: ReadonlyArray<readonly [string, number]>, total: number): string {
  let x = rng.float() * total;
  for (const [value, weight] of entries) {
    x -= weight;
    if (x < 0) return value;
  }
  return (entries[entries.length - 1] as readonly [string, number])[0];
}

function searchEngineReferrer(rng: Random, country: Country): string {
  const x = rng.float();
  if (x < 0.87) return `https://${country.googleHost}/`;
  if (x < 0.94) return "https://www.bing.com/";
  if (x < 0.97) return "https://duckduckgo.com/";
  if (x < 0.99) return "https://search.yahoo.com/";
  return "https://www.ecosia.org/";
}

/** A campaign running at `ms`, by weight; the evergreen campaign (always last) when none other does. */
function campaignAt(campaigns: readonly AdCampaign[], ms: number, rng: Random): AdCampaign {
  let total = 0;
  for (const c of campaigns) if (ms >= c.startMs && ms < c.endMs) total += c.weight;
  let x = rng.float() * total;
  for (const c of campaigns) {
    if (ms < c.startMs || ms >= c.endMs) continue;
    x -= c.weight;
    if (x < 0) return c;
  }
  return campaigns[campaigns.length - 1] as AdCampaign;
}

/** A stable 32-bit hash of a text (FNV-1a, mixed), for ids an email platform gives a campaign. */
function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h >>> 0);
}

/**
 * The link-tracking parameters an email platform adds to every link of a mail: Mailchimp a
 * campaign id and a subscriber id, HubSpot a message id and a subscriber token, Klaviyo a
 * subscriber token; the others add none.
 */
function emailTracking(source: string, campaign: string, org: OrganizationModel, rng: Random): string {
  const id = hashOf(`${org.id}:${campaign}`);
  switch (source) {
    case "mailchimp":
      return `&mc_cid=${id.toString(16).padStart(8, "0")}${(id % 251).toString(16).padStart(2, "0")}&mc_eid=${rng.token(10, HEX)}`;
    case "hubspot":
      return `&_hsmi=${100_000_000 + (id % 900_000_000)}&_hsenc=p2ANqtz-${rng.token(40, URL_SAFE)}`;
    case "klaviyo":
      return `&_kx=${rng.token(40, URL_SAFE)}`;
    default:
      return "";
  }
}

const issues = new Map<number, string>();

/** The weekly newsletter goes out on Tuesday; a click belongs to the latest issue. */
function newsletterIssue(ms: number, utcOffsetHours: number): string {
  const day = Math.floor((ms + utcOffsetHours * 3_600_000) / DAY);
  const mondayBased = (day + 3) % 7;
  const tuesday = day - ((mondayBased - 1 + 7) % 7);
  let issue = issues.get(tuesday);
  if (issue === undefined) {
    issue = `newsletter_${new Date(tuesday * DAY).toISOString().slice(0, 10).replaceAll("-", "_")}`;
    issues.set(tuesday, issue);
  }
  return issue;
}

/** Fills `touch` for a session of `org` arriving through `channel` at `ms`. */
export function buildTouch(
  touch: Touch,
  org: OrganizationModel,
  channel: Channel,
  rng: Random,
  country: Country,
  ms: number,
): Touch {
  touch.channel = channel;
  touch.tracked = CHANNEL_BEHAVIOUR[channel].tracked;
  touch.clickId = "";
  touch.referrer = "";
  let path = org.landings[channel].sample(rng);
  let query = "";
  switch (channel) {
    case "direct":
      break;
    case "organic_search":
      touch.referrer = searchEngineReferrer(rng, country);
      break;
    case "paid_search": {
      const campaign = org.searchCampaigns.sample(rng);
      path = campaign.landingPath;
      const term = rng.pick(campaign.terms);
      if (rng.chance(org.bingShare)) {
        touch.clickId = rng.token(32, HEX);
        touch.referrer = "https://www.bing.com/";
        query = `utm_source=bing&utm_medium=cpc&utm_campaign=${campaign.name}&utm_term=${term}&msclkid=${touch.clickId}`;
      } else {
        touch.clickId = gclid(rng);
        touch.referrer = `https://${country.googleHost}/`;
        query = rng.chance(org.autoTaggedShare)
          ? `gclid=${touch.clickId}`
          : `utm_source=google&utm_medium=cpc&utm_campaign=${campaign.name}&utm_term=${term}&gclid=${touch.clickId}`;
      }
      break;
    }
    case "paid_social": {
      const campaign = campaignAt(org.socialCampaigns, ms, rng);
      path = campaign.landingPath;
      const content = rng.pick(org.socialContents);
      if (campaign.platform === "meta") {
        const network = rng.chance(org.instagramShare) ? "instagram" : "facebook";
        touch.clickId = fbclid(rng);
        // In-app browsers often send no referrer at all.
        touch.referrer = rng.chance(0.4)
          ? ""
          : network === "facebook"
            ? rng.pick(["https://l.facebook.com/", "https://m.facebook.com/"])
            : "https://l.instagram.com/";
        query = rng.chance(0.15)
          ? `fbclid=${touch.clickId}`
          : `utm_source=${network}&utm_medium=paid_social&utm_campaign=${campaign.name}&utm_content=${content}&fbclid=${touch.clickId}`;
      } else if (campaign.platform === "tiktok") {
        touch.clickId = ttclid(rng);
        touch.referrer = rng.chance(0.5) ? "" : "https://www.tiktok.com/";
        query = `utm_source=tiktok&utm_medium=paid_social&utm_campaign=${campaign.name}&utm_content=${content}&ttclid=${touch.clickId}`;
      } else {
        touch.clickId = uuid(rng);
        touch.referrer = "https://www.linkedin.com/";
        query = `utm_source=linkedin&utm_medium=paid_social&utm_campaign=${campaign.name}&li_fat_id=${touch.clickId}`;
      }
      break;
    }
    case "organic_social":
      touch.referrer = weighted(rng, ORGANIC_SOCIAL, ORGANIC_SOCIAL_TOTAL);
      break;
    case "email": {
      // A newsletter issue links mostly to the page it features; a lifecycle mail to its flow's page.
      let campaign: string;
      if (rng.chance(0.7)) {
        campaign = newsletterIssue(ms, org.home.utcOffsetHours);
        if (rng.chance(0.65))
          path = org.featurePaths[hashOf(`${org.id}:${campaign}`) % org.featurePaths.length] as string;
      } else {
        const flow = rng.pick(org.lifecycleCampaigns);
        campaign = flow.name;
        path = flow.landingPath;
      }
      query = `utm_source=${org.emailSource}&utm_medium=email&utm_campaign=${campaign}&utm_content=${rng.pick(["hero_cta", "text_link", "product_grid", "footer"])}${emailTracking(org.emailSource, campaign, org, rng)}`;
      const x = rng.float();
      touch.referrer =
        x < 0.6
          ? ""
          : x < 0.85
            ? "https://mail.google.com/"
            : x < 0.95
              ? "https://outlook.live.com/"
              : "https://mail.yahoo.com/";
      break;
    }
    case "referral":
      touch.referrer = `https://${org.referralHosts.sample(rng)}/${rng.pick(REFERRAL_PATHS)}/${rng.pick(org.topics).replaceAll(" ", "-")}`;
      break;
    case "display": {
      const campaign = campaignAt(org.displayCampaigns, ms, rng);
      path = campaign.landingPath;
      touch.referrer = rng.pick(PUBLISHERS);
      if (campaign.platform === "google") {
        touch.clickId = gclid(rng);
        query = `utm_source=google&utm_medium=display&utm_campaign=${campaign.name}&gclid=${touch.clickId}`;
      } else {
        query = `utm_source=criteo&utm_medium=retargeting&utm_campaign=${campaign.name}`;
      }
      break;
    }
    case "affiliate": {
      const affiliate = org.affiliates.sample(rng);
      touch.referrer = affiliate.host === "" ? "" : `https://${affiliate.host}/`;
      let parameter: string;
      if (affiliate.network === "impact") {
        touch.clickId = rng.token(24, ALNUM);
        parameter = `irclickid=${touch.clickId}`;
      } else if (affiliate.network === "awin") {
        touch.clickId = `${10000 + org.index}_${Math.floor(ms / 1000)}_${rng.token(32, HEX)}`;
        parameter = `awc=${touch.clickId}`;
      } else {
        touch.clickId = rng.token(32, HEX);
        parameter = `cjevent=${touch.clickId}`;
      }
      query = `utm_source=${affiliate.network}&utm_medium=affiliate&utm_campaign=${affiliate.partner}&${parameter}`;
      break;
    }
  }
  touch.url = query === "" ? `${org.origin}${path}` : `${org.origin}${path}?${query}`;
  return touch;
}

export function createTouch(): Touch {
  return { channel: "direct", url: "", referrer: "", clickId: "", tracked: false };
}

/** A fresh Google Ads click id (for fraudulent clicks on paid search). */
export { gclid as newGclid };
