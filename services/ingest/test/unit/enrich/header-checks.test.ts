import { describe, expect, it } from "vitest";
import { parseDevice } from "../../../src/enrich/device.js";
import { hasInconsistentHeaders, hasMissingHeaders } from "../../../src/enrich/header-checks.js";
import { UA } from "./user-agents.js";

const chromeWindows = parseDevice(UA.chromeWindows, false);
const chromeAndroid = parseDevice(UA.chromeAndroidPhone, false);
const chromeLinux = parseDevice(UA.chromeLinux, false);
const firefoxMac = parseDevice(UA.firefoxMac, false);
const safariIphone = parseDevice(UA.safariIphone, false);
const curl = parseDevice(UA.curl, true);

describe("missing headers", () => {
  it("flags a browser without Accept-Language", () => {
    expect(hasMissingHeaders(chromeWindows, false, {})).toBe(true);
    expect(hasMissingHeaders(chromeWindows, false, { "accept-language": " " })).toBe(true);
    expect(hasMissingHeaders(chromeWindows, false, { "accept-language": "en-GB,en;q=0.9" })).toBe(false);
  });

  it("does not expect Accept-Language from bots or non-browsers", () => {
    expect(hasMissingHeaders(curl, true, {})).toBe(false);
    expect(hasMissingHeaders(parseDevice(UA.googlebotSmartphone, true), true, {})).toBe(false);
  });
});

describe("inconsistent headers", () => {
  it("accepts client hints that agree with the user agent", () => {
    expect(
      hasInconsistentHeaders(chromeWindows, {
        "sec-ch-ua": '"Chromium";v="120", "Google Chrome";v="120"',
        "sec-ch-ua-mobile": "?0",
        "sec-ch-ua-platform": '"Windows"',
      }),
    ).toBe(false);
    expect(
      hasInconsistentHeaders(chromeAndroid, {
        "sec-ch-ua": '"Chromium";v="120"',
        "sec-ch-ua-mobile": "?1",
        "sec-ch-ua-platform": '"Android"',
      }),
    ).toBe(false);
    expect(hasInconsistentHeaders(safariIphone, {})).toBe(false);
  });

  it("flags sec-ch-ua-mobile contradicting the device", () => {
    expect(hasInconsistentHeaders(chromeWindows, { "sec-ch-ua-mobile": "?1" })).toBe(true);
    expect(hasInconsistentHeaders(chromeAndroid, { "sec-ch-ua-mobile": "?0" })).toBe(true);
  });

  it("flags sec-ch-ua-platform naming another OS than the user agent", () => {
    expect(hasInconsistentHeaders(chromeWindows, { "sec-ch-ua-platform": '"macOS"' })).toBe(true);
    expect(hasInconsistentHeaders(chromeAndroid, { "sec-ch-ua-platform": '"Windows"' })).toBe(true);
    expect(hasInconsistentHeaders(chromeWindows, { "sec-ch-ua-platform": '"Unknown"' })).toBe(false);
    expect(hasInconsistentHeaders(chromeWindows, { "sec-ch-ua-platform": "Windows" })).toBe(false);
  });

  it("accepts the Android platform with the Linux user agent of Chrome's desktop-site mode", () => {
    expect(hasInconsistentHeaders(chromeLinux, { "sec-ch-ua-platform": '"Android"', "sec-ch-ua-mobile": "?0" })).toBe(
      false,
    );
  });

  it("flags client hints from engines that never send them", () => {
    expect(hasInconsistentHeaders(firefoxMac, { "sec-ch-ua": '"Chromium";v="120"' })).toBe(true);
    expect(hasInconsistentHeaders(safariIphone, { "sec-ch-ua": '"Chromium";v="120"' })).toBe(true);
  });
});
