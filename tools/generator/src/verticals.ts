import type { Channel } from "./channels.js";
import type { Rhythm } from "./seasonality.js";
import type { Device } from "./user-agents.js";

/** The kind of business an organization runs: its site, its visitors, its conversions. */
export type Vertical = "ecommerce" | "saas" | "leadgen" | "media";
export const VERTICALS: readonly Vertical[] = ["ecommerce", "saas", "leadgen", "media"];

export type PageKind = "home" | "category" | "product" | "article" | "info" | "landing";

export interface ConversionSpec {
  readonly name: string;
  readonly weight: number;
  /** Value in US dollars: a log-normal around `median`, or one of `prices`, or nothing. */
  readonly median?: number;
  readonly sigma?: number;
  readonly prices?: readonly number[];
  readonly property: readonly [string, readonly string[]];
}

export interface CustomEventSpec {
  readonly name: string;
  readonly weight: number;
  readonly property: readonly [string, readonly string[]];
}

export interface VerticalSpec {
  readonly vertical: Vertical;
  readonly weight: number;
  readonly rhythm: Rhythm;
  readonly devices: Readonly<Record<Device, number>>;
  /** Conversions per session at a neutral channel and position. */
  readonly baseConversionRate: number;
  readonly conversions: readonly ConversionSpec[];
  readonly customEvents: readonly CustomEventSpec[];
  /** Chance that a page view is followed by a custom event. */
  readonly customEventRate: number;
  /** The two pages before a conversion and the page the conversion is recorded on. */
  readonly funnel: readonly [string, string];
  readonly successPath: string;
  readonly sections: ReadonlyArray<{ kind: PageKind; pattern: string; count: number; words: readonly string[] }>;
  readonly nameSuffixes: readonly string[];
  readonly searchTerms: readonly string[];
  readonly referralHosts: readonly string[];
  /** Channel of a visitor's first session, and of the sessions of a returning visitor. */
  readonly firstTouch: Readonly<Record<Channel, number>>;
  readonly returnTouch: Readonly<Record<Channel, number>>;
  /** Relative weight of the kinds of page a channel lands on. */
  readonly landing: Readonly<Record<Channel, Partial<Record<PageKind, number>>>>;
}

const PRODUCT_WORDS = [
  "merino-wool-crew",
  "trail-runner",
  "linen-shirt",
  "canvas-tote",
  "down-parka",
  "leather-wallet",
  "rain-shell",
  "travel-backpack",
  "cotton-hoodie",
  "ceramic-mug",
  "chef-knife",
  "cast-iron-skillet",
  "desk-lamp",
  "wool-blanket",
  "running-socks",
  "yoga-mat",
  "water-bottle",
  "sunglasses",
  "denim-jacket",
  "sneaker",
];
const ARTICLE_WORDS = [
  "how-to-choose",
  "beginners-guide",
  "best-of-2026",
  "what-we-learned",
  "ultimate-checklist",
  "mistakes-to-avoid",
  "buyers-guide",
  "behind-the-scenes",
  "year-in-review",
  "tips-and-tricks",
  "case-study",
  "explained",
];
const SAAS_WORDS = [
  "dashboards",
  "reporting",
  "automation",
  "integrations",
  "permissions",
  "audit-log",
  "sso",
  "api",
  "alerts",
  "forecasting",
  "workflows",
  "templates",
];
const SERVICE_WORDS = [
  "roof-repair",
  "solar-installation",
  "home-insurance",
  "car-insurance",
  "estate-planning",
  "dental-implants",
  "kitchen-remodel",
  "mortgage-refinance",
  "hvac-service",
  "personal-injury",
];
const CITY_WORDS = [
  "austin",
  "denver",
  "seattle",
  "chicago",
  "atlanta",
  "phoenix",
  "boston",
  "portland",
  "miami",
  "dallas",
  "san-diego",
  "nashville",
];
const TOPIC_WORDS = [
  "politics",
  "business",
  "technology",
  "science",
  "culture",
  "sports",
  "travel",
  "food",
  "climate",
  "health",
];

// Sites that link without being search, social or mail in the referrer list enrichment reads,
// so their visits are referrals both here and in the stored channel.
const GENERIC_REFERRALS = [
  "www.indiehackers.com",
  "en.wikipedia.org",
  "medium.com",
  "www.theverge.com",
  "www.trustpilot.com",
  "www.wired.com",
  "www.producthunt.com",
];

export const VERTICAL_SPECS: Readonly<Record<Vertical, VerticalSpec>> = {
  ecommerce: {
    vertical: "ecommerce",
    weight: 45,
    rhythm: "consumer",
    devices: { desktop: 0.36, mobile: 0.57, tablet: 0.07 },
    baseConversionRate: 0.028,
    conversions: [
      {
        name: "purchase",
        weight: 0.9,
        median: 62,
        sigma: 0.7,
        property: ["items", ["1", "1", "1", "2", "2", "3", "4"]],
      },
      { name: "signup", weight: 0.1, property: ["method", ["email", "email", "google", "apple"]] },
    ],
    customEvents: [
      { name: "add_to_cart", weight: 5, property: ["quantity", ["1", "1", "1", "2", "3"]] },
      { name: "view_search_results", weight: 2, property: ["results", ["0", "4", "12", "24", "48"]] },
      { name: "add_to_wishlist", weight: 1.5, property: ["list", ["default", "gifts"]] },
      { name: "size_guide_open", weight: 1.5, property: ["source", ["product_page", "quick_view"]] },
    ],
    customEventRate: 0.12,
    funnel: ["/cart", "/checkout"],
    successPath: "/checkout/thank-you",
    sections: [
      { kind: "home", pattern: "/", count: 1, words: [] },
      {
        kind: "category",
        pattern: "/collections/{w}",
        count: 8,
        words: [
          "new-arrivals",
          "sale",
          "men",
          "women",
          "outerwear",
          "accessories",
          "home",
          "kitchen",
          "footwear",
          "bags",
          "gifts",
        ],
      },
      { kind: "product", pattern: "/products/{w}", count: 45, words: PRODUCT_WORDS },
      { kind: "article", pattern: "/blogs/journal/{w}", count: 12, words: ARTICLE_WORDS },
      {
        kind: "info",
        pattern: "/pages/{w}",
        count: 4,
        words: ["about", "shipping", "returns", "contact", "faq", "stores"],
      },
      {
        kind: "landing",
        pattern: "/lp/{w}",
        count: 3,
        words: ["summer-sale", "bestsellers", "gift-guide", "free-shipping", "new-season"],
      },
    ],
    nameSuffixes: ["Outfitters", "Goods", "Supply Co", "Home", "Apparel", "Gear", "Market", "Provisions"],
    searchTerms: ["buy {p}", "{p} sale", "best {p}", "{p} for men", "{p} for women", "cheap {p}", "{p} online"],
    referralHosts: [
      ...GENERIC_REFERRALS,
      "www.nytimes.com",
      "www.buzzfeed.com",
      "www.theverge.com",
      "www.gearpatrol.com",
      "www.refinery29.com",
      "www.reviewed.com",
      "www.apartmenttherapy.com",
    ],
    firstTouch: {
      organic_search: 26,
      paid_search: 17,
      paid_social: 16,
      organic_social: 8,
      email: 3,
      referral: 6,
      direct: 13,
      display: 6,
      affiliate: 5,
    },
    returnTouch: {
      organic_search: 13,
      paid_search: 12,
      paid_social: 6,
      organic_social: 4,
      email: 22,
      referral: 3,
      direct: 30,
      display: 6,
      affiliate: 4,
    },
    landing: {
      organic_search: { product: 5, category: 3, article: 3, home: 1 },
      paid_search: { product: 4, category: 4, landing: 3, home: 1 },
      paid_social: { product: 5, landing: 3, category: 1 },
      organic_social: { product: 4, article: 3, home: 1 },
      email: { category: 4, product: 3, landing: 2, home: 1 },
      referral: { product: 4, article: 2, home: 2 },
      direct: { home: 8, product: 1, category: 1 },
      display: { product: 3, landing: 3, home: 1 },
      affiliate: { product: 5, category: 2, landing: 1 },
    },
  },
  saas: {
    vertical: "saas",
    weight: 25,
    rhythm: "business",
    devices: { desktop: 0.74, mobile: 0.23, tablet: 0.03 },
    baseConversionRate: 0.022,
    conversions: [
      { name: "signup", weight: 0.62, property: ["method", ["email", "google", "google", "github", "microsoft"]] },
      {
        name: "subscription",
        weight: 0.38,
        prices: [29, 49, 49, 99, 99, 249, 499],
        property: ["plan", ["starter", "team", "team", "business", "enterprise"]],
      },
    ],
    customEvents: [
      { name: "video_play", weight: 3, property: ["video", ["product-tour", "customer-story", "webinar-replay"]] },
      { name: "pricing_toggle", weight: 2, property: ["billing", ["annual", "monthly"]] },
      { name: "docs_search", weight: 2, property: ["results", ["0", "3", "8", "15"]] },
      { name: "demo_request_start", weight: 1, property: ["form", ["demo", "contact_sales"]] },
    ],
    customEventRate: 0.1,
    funnel: ["/pricing", "/signup"],
    successPath: "/welcome",
    sections: [
      { kind: "home", pattern: "/", count: 1, words: [] },
      { kind: "category", pattern: "/features/{w}", count: 8, words: SAAS_WORDS },
      {
        kind: "product",
        pattern: "/integrations/{w}",
        count: 10,
        words: [
          "slack",
          "salesforce",
          "hubspot",
          "github",
          "jira",
          "zapier",
          "snowflake",
          "bigquery",
          "stripe",
          "okta",
          "notion",
          "teams",
        ],
      },
      { kind: "article", pattern: "/blog/{w}", count: 28, words: [...ARTICLE_WORDS, ...SAAS_WORDS] },
      {
        kind: "info",
        pattern: "/{w}",
        count: 5,
        words: ["pricing", "customers", "about", "security", "careers", "docs", "changelog"],
      },
      {
        kind: "landing",
        pattern: "/lp/{w}",
        count: 3,
        words: ["free-trial", "demo", "compare", "alternative", "roi-calculator"],
      },
    ],
    nameSuffixes: ["Analytics", "Cloud", "Labs", "HQ", "Software", "Systems", "AI", "Metrics"],
    searchTerms: ["{p} software", "best {p} tool", "{p} platform", "{p} for teams", "{p} pricing", "open source {p}"],
    referralHosts: [
      ...GENERIC_REFERRALS,
      "www.g2.com",
      "www.capterra.com",
      "dev.to",
      "css-tricks.com",
      "hackernoon.com",
      "www.techcrunch.com",
      "alternativeto.net",
    ],
    firstTouch: {
      organic_search: 32,
      paid_search: 15,
      paid_social: 8,
      organic_social: 8,
      email: 2,
      referral: 13,
      direct: 16,
      display: 4,
      affiliate: 2,
    },
    returnTouch: {
      organic_search: 15,
      paid_search: 11,
      paid_social: 5,
      organic_social: 4,
      email: 18,
      referral: 5,
      direct: 36,
      display: 4,
      affiliate: 2,
    },
    landing: {
      organic_search: { article: 6, category: 2, product: 2, home: 1 },
      paid_search: { landing: 4, category: 2, home: 2, info: 1 },
      paid_social: { landing: 4, article: 2, home: 1 },
      organic_social: { article: 5, home: 1 },
      email: { article: 3, category: 2, info: 1 },
      referral: { home: 3, article: 2, product: 2 },
      direct: { home: 8, info: 2 },
      display: { landing: 4, home: 1 },
      affiliate: { landing: 3, home: 1 },
    },
  },
  leadgen: {
    vertical: "leadgen",
    weight: 15,
    rhythm: "business",
    devices: { desktop: 0.45, mobile: 0.5, tablet: 0.05 },
    baseConversionRate: 0.04,
    conversions: [
      { name: "lead", weight: 0.82, median: 45, sigma: 0.35, property: ["form", ["contact", "callback", "quote"]] },
      { name: "quote_request", weight: 0.18, median: 110, sigma: 0.3, property: ["product", ["standard", "premium"]] },
    ],
    customEvents: [
      { name: "form_start", weight: 4, property: ["form", ["contact", "quote", "callback"]] },
      { name: "phone_click", weight: 2, property: ["placement", ["header", "footer", "sticky"]] },
      { name: "calculator_used", weight: 1.5, property: ["calculator", ["savings", "payment", "coverage"]] },
    ],
    customEventRate: 0.09,
    funnel: ["/get-a-quote", "/get-a-quote/details"],
    successPath: "/thank-you",
    sections: [
      { kind: "home", pattern: "/", count: 1, words: [] },
      { kind: "category", pattern: "/services/{w}", count: 8, words: SERVICE_WORDS },
      { kind: "product", pattern: "/locations/{w}", count: 12, words: CITY_WORDS },
      { kind: "article", pattern: "/guides/{w}", count: 14, words: [...ARTICLE_WORDS, ...SERVICE_WORDS] },
      { kind: "info", pattern: "/{w}", count: 4, words: ["about", "reviews", "faq", "financing", "team"] },
      {
        kind: "landing",
        pattern: "/lp/{w}",
        count: 3,
        words: ["free-quote", "spring-offer", "compare-rates", "consultation"],
      },
    ],
    nameSuffixes: ["Insurance", "Legal", "Realty", "Solar", "Dental", "Finance", "Roofing", "Home Services"],
    searchTerms: ["{p} near me", "{p} cost", "{p} quote", "best {p} company", "affordable {p}", "{p} reviews"],
    referralHosts: [
      ...GENERIC_REFERRALS,
      "www.yelp.com",
      "www.angi.com",
      "www.bbb.org",
      "www.nerdwallet.com",
      "www.thumbtack.com",
      "www.houzz.com",
    ],
    firstTouch: {
      organic_search: 30,
      paid_search: 28,
      paid_social: 10,
      organic_social: 4,
      email: 2,
      referral: 7,
      direct: 13,
      display: 4,
      affiliate: 2,
    },
    returnTouch: {
      organic_search: 16,
      paid_search: 20,
      paid_social: 5,
      organic_social: 2,
      email: 12,
      referral: 4,
      direct: 35,
      display: 4,
      affiliate: 2,
    },
    landing: {
      organic_search: { category: 4, product: 4, article: 3, home: 1 },
      paid_search: { landing: 5, category: 3, product: 2 },
      paid_social: { landing: 5, category: 1 },
      organic_social: { article: 3, home: 2 },
      email: { category: 2, article: 2, landing: 1 },
      referral: { home: 3, product: 2, category: 2 },
      direct: { home: 8, category: 1 },
      display: { landing: 4, home: 1 },
      affiliate: { landing: 3, category: 1 },
    },
  },
  media: {
    vertical: "media",
    weight: 15,
    rhythm: "consumer",
    devices: { desktop: 0.32, mobile: 0.62, tablet: 0.06 },
    baseConversionRate: 0.009,
    conversions: [
      {
        name: "subscription",
        weight: 0.55,
        prices: [4.99, 9.99, 9.99, 14.99, 99],
        property: ["plan", ["digital", "digital", "all-access", "annual"]],
      },
      { name: "signup", weight: 0.45, property: ["newsletter", ["morning-brief", "weekly-digest", "breaking-news"]] },
    ],
    customEvents: [
      { name: "scroll_depth", weight: 5, property: ["percent", ["25", "50", "75", "100"]] },
      { name: "share", weight: 1, property: ["network", ["facebook", "x", "whatsapp", "email", "copy_link"]] },
      { name: "newsletter_prompt_view", weight: 2, property: ["placement", ["inline", "modal", "footer"]] },
    ],
    customEventRate: 0.16,
    funnel: ["/subscribe", "/subscribe/checkout"],
    successPath: "/subscribe/welcome",
    sections: [
      { kind: "home", pattern: "/", count: 1, words: [] },
      { kind: "category", pattern: "/topics/{w}", count: 8, words: TOPIC_WORDS },
      { kind: "article", pattern: "/{y}/{w}", count: 70, words: [...ARTICLE_WORDS, ...TOPIC_WORDS] },
      { kind: "product", pattern: "/opinion/{w}", count: 10, words: ARTICLE_WORDS },
      { kind: "info", pattern: "/{w}", count: 3, words: ["about", "newsletters", "podcasts", "contact"] },
      { kind: "landing", pattern: "/lp/{w}", count: 2, words: ["subscribe-offer", "student-discount", "gift"] },
    ],
    nameSuffixes: ["Times", "Journal", "Weekly", "Review", "Post", "Daily", "Dispatch", "Gazette"],
    searchTerms: ["{p} news", "{p} today", "latest {p}", "{p} analysis"],
    referralHosts: [
      ...GENERIC_REFERRALS,
      "www.newsnow.co.uk",
      "www.msn.com",
      "apple.news",
      "www.drudgereport.com",
      "www.memeorandum.com",
      "getpocket.com",
    ],
    firstTouch: {
      organic_search: 30,
      paid_search: 2,
      paid_social: 6,
      organic_social: 28,
      email: 6,
      referral: 12,
      direct: 15,
      display: 1,
      affiliate: 0,
    },
    returnTouch: {
      organic_search: 18,
      paid_search: 1,
      paid_social: 3,
      organic_social: 20,
      email: 18,
      referral: 8,
      direct: 32,
      display: 0,
      affiliate: 0,
    },
    landing: {
      organic_search: { article: 8, category: 1 },
      paid_search: { landing: 3, home: 1 },
      paid_social: { landing: 3, article: 2 },
      organic_social: { article: 9, product: 1 },
      email: { article: 6, home: 1 },
      referral: { article: 6, product: 1 },
      direct: { home: 7, category: 1, article: 1 },
      display: { landing: 2, home: 1 },
      affiliate: { landing: 1 },
    },
  },
};
