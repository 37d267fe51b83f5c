import { describe, expect, it } from "vitest";
import { channelOf } from "../../../src/enrich/channel.js";
import type { KnownReferrerClass } from "../../../src/enrich/referrer-sources.js";

function channel(source: string, medium: string, sourceClass?: KnownReferrerClass) {
  return channelOf({ source, medium, sourceClass });
}

describe("default channel grouping", () => {
  it.each([
    ["(direct)", "(none)", undefined, "direct"],
    ["(direct)", "(not set)", undefined, "direct"],
    ["(internal)", "internal", undefined, "internal"],
    ["impact", "affiliate", undefined, "affiliate"],
    ["partner", "affiliates", undefined, "affiliate"],
    ["google", "display", "search", "display"],
    ["network", "banner", undefined, "display"],
    ["network", "cpm", undefined, "display"],
    ["google", "cpc", "search", "paid_search"],
    ["bing", "ppc", "search", "paid_search"],
    ["google", "paid", "search", "paid_search"],
    ["facebook", "cpc", "social", "paid_social"],
    ["facebook", "paid_social", "social", "paid_social"],
    ["partner", "paid_social", undefined, "paid_social"],
    ["partner", "cpc", undefined, "other"],
    ["newsletter", "email", "email", "email"],
    ["crm", "e-mail", undefined, "email"],
    ["email", "blast", undefined, "email"],
    ["google", "email", "search", "email"],
    ["google", "organic", "search", "organic_search"],
    ["partner", "organic", undefined, "organic_search"],
    ["facebook", "social", "social", "organic_social"],
    ["partner", "social-network", undefined, "organic_social"],
    ["facebook", "referral", "social", "organic_social"],
    ["google", "(not set)", "search", "organic_search"],
    ["gmail", "referral", "email", "email"],
    ["doubleclick.net", "referral", "paid", "display"],
    ["someblog.example", "referral", undefined, "referral"],
    ["partner", "(not set)", undefined, "other"],
    ["partner", "print", undefined, "other"],
  ] as const)("%s / %s (%s) is %s", (source, medium, sourceClass, expected) => {
    expect(channel(source, medium, sourceClass)).toBe(expected);
  });
});
