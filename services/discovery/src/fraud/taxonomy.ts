/**
 * What kind of automated client a crawler is, from the name ingest stored (the product token
 * around isbot's match, e.g. "Googlebot") or, for clients isbot lets through, the user agent.
 * isbot says *that* a client is a bot; this says which kind, so a search engine's crawl is not
 * counted with a scraper's.
 */
export type BotCategory =
  | "search_crawler"
  | "ai_agent"
  | "seo_tool"
  | "monitoring"
  | "social_preview"
  | "automation"
  | "other_bot";

const CATEGORIES: ReadonlyArray<[BotCategory, RegExp]> = [
  [
    "ai_agent",
    /gptbot|chatgpt-user|oai-searchbot|claudebot|claude-web|anthropic-ai|perplexitybot|ccbot|google-extended|bytespider|amazonbot|cohere-ai|youbot|meta-externalagent|diffbot|ai2bot|timpibot/i,
  ],
  [
    "search_crawler",
    /googlebot|google-inspectiontool|bingbot|bingpreview|yandex(bot)?|baiduspider|duckduckbot|applebot|sogou|seznambot|petalbot|yeti|naverbot|qwantify|exabot|mojeekbot/i,
  ],
  [
    "seo_tool",
    /ahrefs|semrush|mj12bot|dotbot|rogerbot|screaming frog|serpstat|blexbot|dataforseo|barkrowler|siteauditbot|seokicks|linkdexbot|megaindex/i,
  ],
  [
    "monitoring",
    /uptimerobot|pingdom|statuscake|site24x7|newrelicpinger|datadog|better ?uptime|uptime-kuma|freshping|checkly|hetrixtools|monitor/i,
  ],
  [
    "social_preview",
    /facebookexternalhit|facebookcatalog|twitterbot|linkedinbot|slackbot|discordbot|telegrambot|whatsapp|pinterestbot|embedly|skypeuripreview|redditbot/i,
  ],
  [
    "automation",
    /headlesschrome|phantomjs|puppeteer|playwright|selenium|webdriver|python-requests|python-urllib|aiohttp|httpx|curl|wget|go-http-client|java\/|okhttp|node-fetch|axios|undici|scrapy|httpclient|libwww-perl|guzzlehttp|postmanruntime/i,
  ],
];

/** Clients the store does not flag as crawlers but that no person drives (checked at query time). */
export const AUTOMATION_UA_PATTERN =
  "(?i)headlesschrome|phantomjs|puppeteer|playwright|selenium|webdriver|python-requests|python-urllib|aiohttp|curl/|wget/|go-http-client|okhttp|node-fetch|axios/|scrapy|libwww-perl";

export function botCategory(botName: string, userAgent: string): BotCategory {
  for (const [category, pattern] of CATEGORIES) if (pattern.test(botName)) return category;
  for (const [category, pattern] of CATEGORIES) if (pattern.test(userAgent)) return category;
  return "other_bot";
}
