import { beforeAll, describe, expect, it } from "vitest";
import { type AttributionInput, type Attributor, createAttributor } from "../../../src/enrich/attribution.js";
import { createReferrerClassifier } from "../../../src/enrich/referrer.js";
import { loadReferrerSources } from "../../../src/enrich/referrer-sources.js";

let attributor: Attributor;

beforeAll(async () => {
  const sources = await loadReferrerSources();
  attributor = createAttributor(sources, createReferrerClassifier(sources, ["shop.example"]));
});

function attribute(input: Partial<AttributionInput>) {
  return attributor.attribute({ url: "https://shop.example/landing", referrer: "", clickId: "", ...input });
}

describe("attribution", () => {
  it("reports direct traffic with Google Analytics' conventions", () => {
    expect(attribute({})).toEqual({
      source: "(direct)",
      medium: "(none)",
      campaign: "",
      term: "",
      content: "",
      clickId: "",
      clickIdType: "",
      channel: "direct",
      referrerClass: "direct",
      referrerHost: "",
      referrerPath: "",
      landingHost: "shop.example",
      landingPath: "/landing",
      queryParams: {},
    });
  });

  it("takes every UTM field over the referrer, and keeps the raw parameters", () => {
    const facts = attribute({
      url: "https://shop.example/p?utm_source=Newsletter&utm_medium=Email&utm_campaign=Spring&utm_term=shoes&utm_content=hero&ref=abc",
      referrer: "https://www.google.com/",
    });
    expect(facts).toMatchObject({
      source: "newsletter",
      medium: "email",
      campaign: "Spring",
      term: "shoes",
      content: "hero",
      channel: "email",
      referrerClass: "search",
      referrerHost: "www.google.com",
    });
    expect({ ...facts.queryParams }).toEqual({
      utm_source: "Newsletter",
      utm_medium: "Email",
      utm_campaign: "Spring",
      utm_term: "shoes",
      utm_content: "hero",
      ref: "abc",
    });
  });

  it("takes UTM parameters over a click id, and the click id's values for what they leave out", () => {
    expect(attribute({ url: "https://shop.example/?gclid=G1&utm_source=partner&utm_medium=cpc" })).toMatchObject({
      source: "partner",
      medium: "cpc",
      clickId: "G1",
      clickIdType: "gclid",
      channel: "other",
    });
    expect(attribute({ url: "https://shop.example/?gclid=G1&utm_campaign=brand" })).toMatchObject({
      source: "google",
      medium: "cpc",
      campaign: "brand",
      channel: "paid_search",
    });
    expect(attribute({ url: "https://shop.example/?fbclid=F1&utm_source=instagram" })).toMatchObject({
      source: "instagram",
      medium: "paid_social",
      channel: "paid_social",
    });
  });

  it("marks the missing half of a UTM source/medium pair as (not set) rather than borrowing the referrer's", () => {
    expect(attribute({ url: "https://shop.example/?utm_source=partner", referrer: "https://t.co/x" })).toMatchObject({
      source: "partner",
      medium: "(not set)",
      referrerClass: "social",
      channel: "other",
    });
    expect(attribute({ url: "https://shop.example/?utm_medium=email", referrer: "https://t.co/x" })).toMatchObject({
      source: "(not set)",
      medium: "email",
      channel: "email",
    });
  });

  it("keeps the referrer's source and medium when only utm_campaign is given", () => {
    expect(
      attribute({ url: "https://shop.example/?utm_campaign=spring", referrer: "https://www.bing.com/" }),
    ).toMatchObject({ source: "bing", medium: "organic", campaign: "spring", channel: "organic_search" });
  });

  it.each([
    ["gclid", "google", "cpc", "paid_search"],
    ["gbraid", "google", "cpc", "paid_search"],
    ["wbraid", "google", "cpc", "paid_search"],
    ["dclid", "google", "display", "display"],
    ["msclkid", "bing", "cpc", "paid_search"],
    ["yclid", "yandex", "cpc", "paid_search"],
    ["sznclid", "seznam", "cpc", "paid_search"],
    ["fbclid", "facebook", "paid_social", "paid_social"],
    ["ttclid", "tiktok", "paid_social", "paid_social"],
    ["li_fat_id", "linkedin", "paid_social", "paid_social"],
    ["twclid", "twitter", "paid_social", "paid_social"],
    ["epik", "pinterest", "paid_social", "paid_social"],
    ["rdt_cid", "reddit", "paid_social", "paid_social"],
    ["ScCid", "snapchat", "paid_social", "paid_social"],
    ["qclid", "quora", "paid_social", "paid_social"],
    ["irclickid", "impact", "affiliate", "affiliate"],
  ])("a %s click is %s / %s in %s, over an organic referrer", (param, source, medium, channel) => {
    expect(
      attribute({ url: `https://shop.example/p?${param}=abc123`, referrer: "https://www.google.com/" }),
    ).toMatchObject({ source, medium, channel, clickId: "abc123", clickIdType: param, referrerClass: "search" });
  });

  it("takes an explicit click id over the URL's, keeping the URL's type only when both are the same id", () => {
    expect(attribute({ url: "https://shop.example/?gclid=G1", clickId: "G1" })).toMatchObject({
      clickId: "G1",
      clickIdType: "gclid",
      source: "google",
      medium: "cpc",
    });
    expect(attribute({ url: "https://shop.example/?gclid=G1", clickId: "own-7" })).toMatchObject({
      clickId: "own-7",
      clickIdType: "",
      source: "google",
      medium: "cpc",
    });
    expect(attribute({ clickId: " own-8 " })).toMatchObject({
      clickId: "own-8",
      clickIdType: "",
      source: "(direct)",
      channel: "direct",
    });
  });

  it.each([
    ["https://www.google.com/", "google", "organic", "organic_search", "search"],
    ["https://l.facebook.com/l.php", "facebook", "social", "organic_social", "social"],
    ["https://mail.google.com/mail/u/0/", "gmail", "email", "email", "email"],
    ["https://googleads.g.doubleclick.net/pagead/ads", "google", "display", "display", "paid"],
    ["https://blog.example.net/post", "blog.example.net", "referral", "referral", "other"],
  ])("derives source, medium and channel from the referrer %s", (referrer, source, medium, channel, referrerClass) => {
    expect(attribute({ referrer })).toMatchObject({ source, medium, channel, referrerClass });
  });

  it("reports navigation within the site and from the organization's hosts as internal", () => {
    expect(attribute({ referrer: "https://shop.example/cart" })).toMatchObject({
      source: "(internal)",
      medium: "internal",
      channel: "internal",
      referrerClass: "internal",
      referrerHost: "shop.example",
      referrerPath: "/cart",
    });
    expect(
      attribute({ url: "https://checkout.example.org/pay", referrer: "https://www.shop.example/basket" }),
    ).toMatchObject({ referrerClass: "internal", channel: "internal", landingHost: "checkout.example.org" });
  });

  it("lets campaign parameters win over an internal referrer", () => {
    expect(
      attribute({
        url: "https://shop.example/?utm_source=newsletter&utm_medium=email",
        referrer: "https://shop.example/",
      }),
    ).toMatchObject({ source: "newsletter", medium: "email", channel: "email", referrerClass: "internal" });
  });

  it("copes with an event without a URL", () => {
    expect(attribute({ url: "", referrer: "https://www.google.com/" })).toMatchObject({
      source: "google",
      medium: "organic",
      landingHost: "",
      landingPath: "",
      queryParams: {},
    });
  });
});
