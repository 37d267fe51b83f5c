import { describe, expect, it } from "vitest";
import { parseDevice } from "../../../src/enrich/device.js";
import { UA } from "./user-agents.js";

describe("parseDevice", () => {
  it.each([
    [UA.chromeWindows, "desktop", "Chrome", "120.0.0.0", "Windows", "10", "Blink"],
    [UA.safariIphone, "mobile", "Mobile Safari", "17.1.2", "iOS", "17.1.2", "WebKit"],
    [UA.chromeAndroidTablet, "tablet", "Chrome", "119.0.6045.163", "Android", "13", "Blink"],
    [UA.chromeAndroidPhone, "mobile", "Chrome", "120.0.0.0", "Android", "10", "Blink"],
    [UA.firefoxMac, "desktop", "Firefox", "121.0", "Mac OS", "10.15", "Gecko"],
    [UA.safariMac, "desktop", "Safari", "17.1", "Mac OS", "10.15.7", "WebKit"],
    [UA.chromeLinux, "desktop", "Chrome", "120.0.0.0", "Linux", "", "Blink"],
    [UA.samsungTv, "smarttv", "Samsung Internet", "4.0", "Tizen", "6.0", "Blink"],
    [UA.playStation5, "console", "Safari", "13.0", "PlayStation", "5", "WebKit"],
    [UA.galaxyWatch, "wearable", "Chrome WebView", "96.0.4664.104", "Android", "11", "Blink"],
  ])("parses %s", (userAgent, deviceType, browser, browserVersion, os, osVersion, engine) => {
    expect(parseDevice(userAgent, false)).toEqual({
      deviceType,
      browser,
      browserVersion,
      os,
      osVersion,
      engine,
      isBrowser: true,
    });
  });

  it("reports a bot as a bot whatever device it claims to be", () => {
    expect(parseDevice(UA.googlebotSmartphone, true)).toMatchObject({
      deviceType: "bot",
      browser: "Chrome",
      os: "Android",
    });
    expect(parseDevice(UA.googlebot, true)).toEqual({
      deviceType: "bot",
      browser: "",
      browserVersion: "",
      os: "",
      osVersion: "",
      engine: "",
      isBrowser: false,
    });
  });

  it("reports curl as a bot when isbot says so, and as other on its own", () => {
    expect(parseDevice(UA.curl, true).deviceType).toBe("bot");
    expect(parseDevice(UA.curl, false)).toEqual({
      deviceType: "other",
      browser: "",
      browserVersion: "",
      os: "",
      osVersion: "",
      engine: "",
      isBrowser: false,
    });
  });

  it("reports a user agent naming neither browser, OS nor device as other", () => {
    expect(parseDevice("SomeAgent", false)).toEqual({
      deviceType: "other",
      browser: "",
      browserVersion: "",
      os: "",
      osVersion: "",
      engine: "",
      isBrowser: false,
    });
  });

  it("reads an Android user agent without a device type by its Mobile token", () => {
    expect(
      parseDevice("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36", false),
    ).toMatchObject({ deviceType: "tablet", os: "Android" });
    expect(
      parseDevice("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0.0.0 Mobile Safari/537.36", false),
    ).toMatchObject({ deviceType: "mobile", os: "Android" });
  });
});
