import { beforeAll, describe, expect, it } from "vitest";
import { createReferrerClassifier, type ReferrerClassifier } from "../../../src/enrich/referrer.js";
import {
  buildReferrerSources,
  loadReferrerSources,
  normaliseSourceName,
  type ReferrerSources,
} from "../../../src/enrich/referrer-sources.js";
import { parseUrl } from "../../../src/enrich/url-parts.js";

let sources: ReferrerSources;
let classifier: ReferrerClassifier;

beforeAll(async () => {
  sources = await loadReferrerSources();
  classifier = createReferrerClassifier(sources, ["example.com", " WWW.Partner-Shop.example "]);
});

function classify(referrer: string, landingHost = "shop.example.org") {
  return classifier.classify(parseUrl(referrer, false), referrer !== "", landingHost);
}

describe("referrer classification", () => {
  it.each([
    ["https://www.google.com/", "search", "google"],
    ["https://www.google.co.uk/search?q=shoes", "search", "google"],
    ["https://google.fr/", "search", "google"],
    ["https://www.bing.com/search?q=x", "search", "bing"],
    ["https://duckduckgo.com/", "search", "duckduckgo"],
    ["https://html.duckduckgo.com/html/", "search", "duckduckgo"],
    ["https://search.yahoo.com/search?p=x", "search", "yahoo"],
    ["https://www.baidu.com/s?wd=x", "search", "baidu"],
    ["https://baidu.com/", "search", "baidu"],
    ["https://yandex.ru/search/?text=x", "search", "yandex"],
    ["https://www.ecosia.org/search?q=x", "search", "ecosia"],
    ["https://search.brave.com/search?q=x", "search", "brave_search"],
    ["https://www.facebook.com/", "social", "facebook"],
    ["https://l.facebook.com/l.php?u=x", "social", "facebook"],
    ["https://m.facebook.com/story.php", "social", "facebook"],
    ["https://l.instagram.com/?u=x", "social", "instagram"],
    ["https://t.co/abc123", "social", "twitter"],
    ["https://x.com/someone/status/1", "social", "twitter"],
    ["https://www.linkedin.com/feed/", "social", "linkedin"],
    ["https://lnkd.in/abc", "social", "linkedin"],
    ["https://www.reddit.com/r/running/", "social", "reddit"],
    ["https://out.reddit.com/t3_abc", "social", "reddit"],
    ["https://www.pinterest.com/pin/1/", "social", "pinterest"],
    ["https://www.tiktok.com/@someone", "social", "tiktok"],
    ["https://www.youtube.com/watch?v=x", "social", "youtube"],
    ["https://mail.google.com/mail/u/0/", "email", "gmail"],
    ["https://outlook.live.com/mail/0/", "email", "outlook.com"],
    ["https://outlook.office.com/mail/", "email", "outlook.com"],
    ["https://mail.yahoo.com/d/folders/1", "email", "yahoo_mail"],
    ["android-app://com.google.android.gm/", "email", "gmail"],
    ["https://googleads.g.doubleclick.net/pagead/ads", "paid", "google"],
  ])("%s is %s from %s", (referrer, referrerClass, source) => {
    const facts = classify(referrer);
    expect(facts.referrerClass).toBe(referrerClass);
    expect(facts.source).toBe(source);
  });

  it("gives each class Google Analytics' medium", () => {
    expect(classify("https://www.google.com/").medium).toBe("organic");
    expect(classify("https://t.co/x").medium).toBe("social");
    expect(classify("https://mail.google.com/").medium).toBe("email");
    expect(classify("https://googleads.g.doubleclick.net/").medium).toBe("display");
  });

  it("prefers a path entry over its host's entry, and falls back to parent domains", () => {
    const lookup = buildReferrerSources({
      "example.com": { source: "Example", medium: "social" },
      "example.com/search": { source: "Example Search", medium: "search" },
    }).lookup;
    expect(lookup("example.com", "/search/images")).toEqual({ source: "example_search", referrerClass: "search" });
    expect(lookup("www.example.com", "/feed")).toEqual({ source: "example", referrerClass: "social" });
    expect(lookup("example.org", "/")).toBeUndefined();
  });

  it("reports an unknown site as a referral from its host without www.", () => {
    expect(classify("https://www.someblog.example.net/posts/1?ref=x")).toEqual({
      referrerClass: "other",
      source: "someblog.example.net",
      medium: "referral",
      host: "www.someblog.example.net",
      path: "/posts/1",
    });
  });

  it("reports a dataset entry that is neither search, social, email nor paid as a referral", () => {
    expect(classify("https://en.wikipedia.org/wiki/Shoe")).toMatchObject({
      referrerClass: "other",
      source: "en.wikipedia.org",
      medium: "referral",
    });
  });

  it("treats the landing page's own host, with or without www., as internal", () => {
    expect(classify("https://www.shop.example.org/cart", "shop.example.org")).toEqual({
      referrerClass: "internal",
      source: "(internal)",
      medium: "internal",
      host: "www.shop.example.org",
      path: "/cart",
    });
  });

  it("treats the organization's internal hosts and their subdomains as internal", () => {
    expect(classify("https://example.com/").referrerClass).toBe("internal");
    expect(classify("https://blog.example.com/post").referrerClass).toBe("internal");
    expect(classify("https://www.partner-shop.example/").referrerClass).toBe("internal");
    expect(classify("https://notexample.com/").referrerClass).toBe("other");
  });

  it("reports no referrer as direct", () => {
    expect(classify("")).toEqual({ referrerClass: "direct", source: "(direct)", medium: "(none)", host: "", path: "" });
  });

  it("reports a referrer that is not an absolute URL as a referral from an unknown source", () => {
    expect(classify("not a url")).toEqual({
      referrerClass: "other",
      source: "(not set)",
      medium: "referral",
      host: "",
      path: "",
    });
  });
});

describe("source names", () => {
  it.each([
    ["google", "search"],
    ["bing", "search"],
    ["yahoo", "search"],
    ["duckduckgo", "search"],
    ["google.com", "search"],
    ["www.google.com", "search"],
    ["facebook", "social"],
    ["fb", "social"],
    ["ig", "social"],
    ["x", "social"],
    ["t.co", "social"],
    ["m.facebook.com", "social"],
    ["linkedin", "social"],
    ["tiktok", "social"],
    ["gmail", "email"],
    ["newsletter", "email"],
    ["outlook.com", "email"],
  ])("classes %s as %s", (source, referrerClass) => {
    expect(sources.classOfSource(source)).toBe(referrerClass);
  });

  it("does not class unknown sources", () => {
    expect(sources.classOfSource("partner-site")).toBeUndefined();
    expect(sources.classOfSource("(direct)")).toBeUndefined();
  });

  it("normalises dataset names to lower-case words joined by _", () => {
    expect(normaliseSourceName("Yahoo! Mail")).toBe("yahoo_mail");
    expect(normaliseSourceName("Outlook.com")).toBe("outlook.com");
    expect(normaliseSourceName("Hacker News")).toBe("hacker_news");
  });
});
