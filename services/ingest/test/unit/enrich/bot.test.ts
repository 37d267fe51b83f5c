import { describe, expect, it } from "vitest";
import { detectBot } from "../../../src/enrich/bot.js";
import { UA } from "./user-agents.js";

describe("detectBot", () => {
  it.each([
    [UA.googlebot, "Googlebot"],
    [UA.googlebotSmartphone, "Googlebot"],
    [UA.bingbot, "bingbot"],
    [UA.ahrefsBot, "AhrefsBot"],
    [UA.curl, "curl"],
    [UA.pythonRequests, "python-requests"],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
      "HeadlessChrome",
    ],
    [
      "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
      "GPTBot",
    ],
  ])("names the crawler in %s", (userAgent, botName) => {
    expect(detectBot(userAgent)).toEqual({ isBot: true, botName });
  });

  it.each([UA.chromeWindows, UA.safariIphone, UA.chromeAndroidTablet, UA.firefoxMac, UA.samsungTv])(
    "lets the browser %s through",
    (userAgent) => {
      expect(detectBot(userAgent)).toEqual({ isBot: false, botName: "" });
    },
  );

  it("counts an empty or blank user agent as a bot without a name", () => {
    expect(detectBot("")).toEqual({ isBot: true, botName: "" });
    expect(detectBot("   ")).toEqual({ isBot: true, botName: "" });
  });
});
