import { describe, expect, it } from "vitest";
import { createUserAgentAnalyzer } from "../../../src/enrich/user-agent.js";
import { UA } from "./user-agents.js";

describe("user agent analyzer", () => {
  it("combines device and bot facts", () => {
    const analyzer = createUserAgentAnalyzer(10);
    expect(analyzer.analyze(UA.googlebot)).toEqual({
      device: {
        deviceType: "bot",
        browser: "",
        browserVersion: "",
        os: "",
        osVersion: "",
        engine: "",
        isBrowser: false,
      },
      bot: { isBot: true, botName: "Googlebot" },
      stored: { deviceType: "bot", browser: "", browserVersion: "", os: "", osVersion: "" },
    });
    expect(analyzer.analyze(UA.safariIphone).device.deviceType).toBe("mobile");
  });

  it("answers a repeated user agent from its cache, with frozen facts", () => {
    const analyzer = createUserAgentAnalyzer(10);
    const first = analyzer.analyze(UA.chromeWindows);
    expect(analyzer.analyze(UA.chromeWindows)).toBe(first);
    expect(Object.isFrozen(first.device)).toBe(true);
    expect(Object.isFrozen(first.bot)).toBe(true);
  });

  it("keeps at most maxEntries user agents, forgetting the least recently used", () => {
    const analyzer = createUserAgentAnalyzer(2);
    const chrome = analyzer.analyze(UA.chromeWindows);
    const safari = analyzer.analyze(UA.safariIphone);
    expect(analyzer.analyze(UA.chromeWindows)).toBe(chrome);
    analyzer.analyze(UA.firefoxMac);
    expect(analyzer.analyze(UA.chromeWindows)).toBe(chrome);
    expect(analyzer.analyze(UA.safariIphone)).not.toBe(safari);
    expect(analyzer.analyze(UA.safariIphone)).toEqual(safari);
  });

  it("parses very long user agents every time instead of caching them", () => {
    const analyzer = createUserAgentAnalyzer(10);
    const long = `${UA.chromeWindows} ${"x".repeat(600)}`;
    const first = analyzer.analyze(long);
    expect(analyzer.analyze(long)).not.toBe(first);
    expect(analyzer.analyze(long)).toEqual(first);
  });
});
