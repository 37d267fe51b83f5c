import { type AddressBlock, CLOUD_RANGES, createAddressBlock } from "./ip-addresses.js";
import { createWeightedChoice, type WeightedChoice } from "./weighted.js";

export type Device = "desktop" | "mobile" | "tablet";
export const DEVICES: readonly Device[] = ["desktop", "mobile", "tablet"];

/** A browser build as it identifies itself: user agent plus, for Chromium, its client hints. */
export interface BrowserProfile {
  readonly userAgent: string;
  readonly device: Device;
  readonly browser: string;
  readonly os: string;
  /** Client-hint headers a Chromium browser sends on HTTPS; empty for other engines. */
  readonly hints: Readonly<Record<string, string>>;
  /** Share of its users with Do Not Track set. */
  readonly dntRate: number;
  readonly weight: number;
}

const CHROME_VERSIONS = [
  [126, 0.25],
  [125, 0.35],
  [124, 0.25],
  [123, 0.1],
  [122, 0.05],
] as const;

function chromium(brand: string, brandVersion: string, major: number, platform: string, mobile: boolean) {
  const brands =
    brand === "Samsung Internet"
      ? `"Chromium";v="${major}", "Not;A=Brand";v="8", "Samsung Internet";v="${brandVersion}"`
      : `"${brand}";v="${brandVersion}", "Chromium";v="${major}", "Not-A.Brand";v="99"`;
  return {
    "sec-ch-ua": brands,
    "sec-ch-ua-mobile": mobile ? "?1" : "?0",
    "sec-ch-ua-platform": `"${platform}"`,
  };
}

function buildProfiles(): BrowserProfile[] {
  const out: BrowserProfile[] = [];
  const add = (p: Omit<BrowserProfile, "hints" | "dntRate"> & Partial<Pick<BrowserProfile, "hints" | "dntRate">>) =>
    out.push({ hints: {}, dntRate: 0.05, ...p });
  for (const [v, share] of CHROME_VERSIONS) {
    const cr = `Chrome/${v}.0.0.0`;
    add({
      userAgent: `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ${cr} Safari/537.36`,
      device: "desktop",
      browser: "Chrome",
      os: "Windows",
      hints: chromium("Google Chrome", String(v), v, "Windows", false),
      weight: 30 * share,
    });
    add({
      userAgent: `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ${cr} Safari/537.36`,
      device: "desktop",
      browser: "Chrome",
      os: "macOS",
      hints: chromium("Google Chrome", String(v), v, "macOS", false),
      weight: 11 * share,
    });
    add({
      userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ${cr} Safari/537.36`,
      device: "desktop",
      browser: "Chrome",
      os: "Linux",
      hints: chromium("Google Chrome", String(v), v, "Linux", false),
      weight: 2.5 * share,
    });
    add({
      userAgent: `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ${cr} Safari/537.36 Edg/${v}.0.2478.${50 + v}`,
      device: "desktop",
      browser: "Edge",
      os: "Windows",
      hints: chromium("Microsoft Edge", String(v), v, "Windows", false),
      weight: 11 * share,
    });
    add({
      userAgent: `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) ${cr} Mobile Safari/537.36`,
      device: "mobile",
      browser: "Chrome",
      os: "Android",
      hints: chromium("Google Chrome", String(v), v, "Android", true),
      weight: 36 * share,
    });
    add({
      userAgent: `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) ${cr} Safari/537.36`,
      device: "tablet",
      browser: "Chrome",
      os: "Android",
      hints: chromium("Google Chrome", String(v), v, "Android", false),
      weight: 4 * share,
    });
  }
  add({
    userAgent:
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
    device: "desktop",
    browser: "Opera",
    os: "Windows",
    hints: chromium("Opera", "111", 125, "Windows", false),
    weight: 2,
  });
  for (const [v, weight] of [
    [127, 3.5],
    [126, 2],
    [115, 0.8],
  ] as const) {
    add({
      userAgent: `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
      device: "desktop",
      browser: "Firefox",
      os: "Windows",
      dntRate: 0.2,
      weight,
    });
    add({
      userAgent: `Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
      device: "desktop",
      browser: "Firefox",
      os: "macOS",
      dntRate: 0.2,
      weight: weight * 0.4,
    });
    add({
      userAgent: `Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
      device: "desktop",
      browser: "Firefox",
      os: "Linux",
      dntRate: 0.25,
      weight: weight * 0.3,
    });
  }
  for (const [v, weight] of [
    ["17.5", 6],
    ["17.4.1", 4],
    ["16.6", 1.5],
  ] as const) {
    add({
      userAgent: `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Safari/605.1.15`,
      device: "desktop",
      browser: "Safari",
      os: "macOS",
      dntRate: 0.08,
      weight,
    });
    const ios = v.replaceAll(".", "_");
    add({
      userAgent: `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Mobile/15E148 Safari/604.1`,
      device: "mobile",
      browser: "Mobile Safari",
      os: "iOS",
      dntRate: 0.08,
      weight: weight * 4.5,
    });
    add({
      userAgent: `Mozilla/5.0 (iPad; CPU OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Mobile/15E148 Safari/604.1`,
      device: "tablet",
      browser: "Mobile Safari",
      os: "iPadOS",
      dntRate: 0.08,
      weight: weight * 1.2,
    });
  }
  add({
    userAgent:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
    device: "mobile",
    browser: "Chrome Mobile iOS",
    os: "iOS",
    weight: 5,
  });
  add({
    userAgent:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 334.0.4.32.98 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; 604393145)",
    device: "mobile",
    browser: "Instagram",
    os: "iOS",
    weight: 2,
  });
  add({
    userAgent:
      "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    device: "mobile",
    browser: "Samsung Internet",
    os: "Android",
    hints: chromium("Samsung Internet", "25.0", 121, "Android", true),
    weight: 6,
  });
  add({
    userAgent: "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
    device: "mobile",
    browser: "Firefox Mobile",
    os: "Android",
    dntRate: 0.2,
    weight: 1,
  });
  return out;
}

export const BROWSER_PROFILES: readonly BrowserProfile[] = buildProfiles();

export const BROWSERS_BY_DEVICE: Readonly<Record<Device, WeightedChoice<BrowserProfile>>> = {
  desktop: createWeightedChoice(BROWSER_PROFILES.filter((p) => p.device === "desktop").map((p) => [p, p.weight])),
  mobile: createWeightedChoice(BROWSER_PROFILES.filter((p) => p.device === "mobile").map((p) => [p, p.weight])),
  tablet: createWeightedChoice(BROWSER_PROFILES.filter((p) => p.device === "tablet").map((p) => [p, p.weight])),
};

const headerCache = new Map<BrowserProfile, Map<string, Readonly<Record<string, string>>[]>>();

/**
 * The selected request headers of a browser. Shared and frozen: every visitor with the same
 * browser, language and Do Not Track setting gets the same object. An empty language leaves
 * Accept-Language out.
 */
export function browserHeaders(
  profile: BrowserProfile,
  acceptLanguage: string,
  doNotTrack: boolean,
): Readonly<Record<string, string>> {
  let byLanguage = headerCache.get(profile);
  if (!byLanguage) {
    byLanguage = new Map();
    headerCache.set(profile, byLanguage);
  }
  let variants = byLanguage.get(acceptLanguage);
  if (!variants) {
    variants = [false, true].map((dnt) => {
      const built: Record<string, string> = {};
      if (acceptLanguage !== "") built["accept-language"] = acceptLanguage;
      Object.assign(built, profile.hints);
      if (dnt) built.dnt = "1";
      return Object.freeze(built);
    });
    byLanguage.set(acceptLanguage, variants);
  }
  return variants[doNotTrack ? 1 : 0] as Readonly<Record<string, string>>;
}

/** A known crawler or scripted client. None of them sends Accept-Language. */
export interface Crawler {
  readonly name: string;
  readonly userAgent: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly blocks: readonly AddressBlock[];
  /** Mean number of requests of one visit, and mean seconds between them. */
  readonly meanRequests: number;
  readonly meanIntervalSeconds: number;
  readonly weight: number;
}

const cloudBlocks = CLOUD_RANGES.map((r) => createAddressBlock(r.cidr));
const HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

function crawler(
  name: string,
  userAgent: string,
  cidrs: readonly string[] | "cloud",
  meanRequests: number,
  meanIntervalSeconds: number,
  weight: number,
  headers: Record<string, string> = { accept: HTML_ACCEPT },
): Crawler {
  return {
    name,
    userAgent,
    headers: Object.freeze(headers),
    blocks: cidrs === "cloud" ? cloudBlocks : cidrs.map(createAddressBlock),
    meanRequests,
    meanIntervalSeconds,
    weight,
  };
}

export const CRAWLERS: readonly Crawler[] = [
  crawler(
    "Googlebot",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ["66.249.64.0/19", "2001:4860:4801::/48"],
    8,
    6,
    20,
    { accept: HTML_ACCEPT, from: "googlebot(at)googlebot.com" },
  ),
  crawler(
    "Googlebot",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/126.0.6478.126 Safari/537.36",
    ["66.249.64.0/19"],
    5,
    8,
    8,
    { accept: HTML_ACCEPT, from: "googlebot(at)googlebot.com" },
  ),
  crawler(
    "bingbot",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    ["157.55.39.0/24", "40.77.167.0/24", "207.46.13.0/24"],
    6,
    7,
    12,
    { accept: HTML_ACCEPT, from: "bingbot(at)microsoft.com" },
  ),
  crawler(
    "AhrefsBot",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    ["54.36.148.0/23", "51.222.253.0/24"],
    10,
    3,
    10,
  ),
  crawler(
    "SemrushBot",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    ["85.208.96.0/22", "185.191.171.0/24"],
    8,
    4,
    7,
  ),
  crawler(
    "YandexBot",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    ["5.255.253.0/24"],
    4,
    10,
    3,
  ),
  crawler(
    "Applebot",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    ["17.241.0.0/16"],
    3,
    10,
    3,
  ),
  crawler(
    "GPTBot",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot",
    ["20.171.206.0/24"],
    6,
    2,
    4,
  ),
  crawler(
    "facebookexternalhit",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    ["69.171.224.0/19", "173.252.64.0/18"],
    1,
    1,
    4,
    { accept: "*/*" },
  ),
  crawler("curl", "curl/8.5.0", "cloud", 2, 5, 6, { accept: "*/*" }),
  crawler("python-requests", "python-requests/2.32.3", "cloud", 6, 2, 9, {
    accept: "*/*",
    "accept-encoding": "gzip, deflate",
  }),
  crawler("Go-http-client", "Go-http-client/1.1", "cloud", 4, 3, 4, { "accept-encoding": "gzip" }),
  crawler(
    "HeadlessChrome",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.6478.126 Safari/537.36",
    "cloud",
    5,
    4,
    6,
    {
      accept: HTML_ACCEPT,
      "sec-ch-ua": '"HeadlessChrome";v="126", "Chromium";v="126", "Not-A.Brand";v="99"',
      "sec-ch-ua-mobile": "?0",
      "sec-ch-ua-platform": '"Linux"',
    },
  ),
];

export const CRAWLER_CHOICE: WeightedChoice<Crawler> = createWeightedChoice(CRAWLERS.map((c) => [c, c.weight]));

/** Expected requests of one crawler visit. */
export const MEAN_CRAWL_REQUESTS = CRAWLERS.reduce(
  (sum, c, i) => sum + (CRAWLER_CHOICE.probabilities[i] as number) * c.meanRequests,
  0,
);
