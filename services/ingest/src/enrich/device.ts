import UAParser from "ua-parser-js";
import type { DeviceFacts, DeviceType } from "./types.js";

export interface ParsedDevice extends DeviceFacts {
  /** Rendering engine ("Blink", "Gecko", "WebKit", …), "" when unknown. */
  engine: string;
  /** True when a browser was recognised. */
  isBrowser: boolean;
}

const DEVICE_TYPES: Record<string, DeviceType> = {
  mobile: "mobile",
  tablet: "tablet",
  smarttv: "smarttv",
  console: "console",
  wearable: "wearable",
};

const HANDHELD_OSES = new Set(["Android", "iOS", "Windows Phone", "BlackBerry", "KaiOS", "HarmonyOS", "Symbian"]);

/**
 * Device type, browser and OS of a user agent (ua-parser-js). A user agent with no device type of its own is a
 * desktop when it names an OS or a browser, unless the OS is a handheld one (Android without "Mobile" is a tablet,
 * per Google's convention); a bot is a bot whatever it claims.
 */
export function parseDevice(userAgent: string, isBot: boolean): ParsedDevice {
  const { browser, os, device, engine } = new UAParser(userAgent).getResult();
  const osName = os.name ?? "";
  const browserName = browser.name ?? "";
  let deviceType: DeviceType;
  if (isBot) deviceType = "bot";
  else if (device.type !== undefined) deviceType = DEVICE_TYPES[device.type] ?? "other";
  else if (osName === "Android") deviceType = userAgent.includes("Mobile") ? "mobile" : "tablet";
  else if (HANDHELD_OSES.has(osName)) deviceType = "mobile";
  else if (osName !== "" || browserName !== "") deviceType = "desktop";
  else deviceType = "other";
  return {
    deviceType,
    browser: browserName,
    browserVersion: browser.version ?? "",
    os: osName,
    osVersion: os.version ?? "",
    engine: engine.name ?? "",
    isBrowser: browserName !== "",
  };
}
