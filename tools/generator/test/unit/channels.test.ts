import { describe, expect, it } from "vitest";
import { classifyLanding } from "../../src/index.js";

const site = "https://shop.example.com";

describe("classifyLanding", () => {
  it.each([
    [
      `${site}/?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=abc`,
      "https://www.google.com/",
      "paid_search",
    ],
    [`${site}/?gclid=abc`, "https://www.google.de/", "paid_search"],
    [`${site}/?utm_source=bing&utm_medium=cpc&msclkid=0f`, "https://www.bing.com/", "paid_search"],
    [`${site}/p?fbclid=IwAR1`, "", "paid_social"],
    [`${site}/p?utm_source=tiktok&utm_medium=paid_social&ttclid=E.C.P.x`, "", "paid_social"],
    [`${site}/?utm_source=klaviyo&utm_medium=email&utm_campaign=weekly`, "", "email"],
    [`${site}/?utm_source=criteo&utm_medium=retargeting`, "https://www.espn.com/", "display"],
    [`${site}/?utm_source=impact&utm_medium=affiliate&irclickid=x`, "https://www.retailmenot.com/", "affiliate"],
    [`${site}/?irclickid=x`, "", "affiliate"],
    [`${site}/blog/post`, "https://www.google.co.uk/", "organic_search"],
    [`${site}/blog/post`, "https://duckduckgo.com/", "organic_search"],
    [`${site}/blog/post`, "https://t.co/", "organic_social"],
    [`${site}/blog/post`, "https://l.facebook.com/", "organic_social"],
    [`${site}/blog/post`, "https://mail.google.com/", "email"],
    [`${site}/blog/post`, "https://news.ycombinator.com/item", "referral"],
    [`${site}/podcast?ref=show`, "", "direct"],
    [`${site}/`, "", "direct"],
    [`${site}/cart`, `${site}/products/x`, null],
  ])("%s from %s is %s", (url, referrer, channel) => {
    expect(classifyLanding(url, referrer)).toBe(channel);
  });
});
