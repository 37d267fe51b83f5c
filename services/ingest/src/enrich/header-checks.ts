import type { ParsedDevice } from "./device.js";

/** The sec-ch-ua-platform value (lower-cased) that each operating system of ua-parser-js sends. */
const PLATFORM_OF_OS = new Map([
  ["Windows", "windows"],
  ["Mac OS", "macos"],
  ["macOS", "macos"],
  ["iOS", "ios"],
  ["Android", "android"],
  ["Chromium OS", "chrome os"],
  ["Chrome OS", "chrome os"],
  ["Linux", "linux"],
  ["Ubuntu", "linux"],
  ["Debian", "linux"],
  ["Fedora", "linux"],
  ["Arch Linux", "linux"],
  ["Mint", "linux"],
  ["openSUSE", "linux"],
  ["Red Hat", "linux"],
  ["CentOS", "linux"],
]);

/** A browser (not a bot) that sent no Accept-Language: every browser sends one. */
export function hasMissingHeaders(device: ParsedDevice, isBot: boolean, headers: Record<string, string>): boolean {
  return !isBot && device.isBrowser && (headers["accept-language"] ?? "").trim() === "";
}

/**
 * Client hints that contradict the user agent: sec-ch-ua-mobile ?1 with a desktop user agent or ?0 with a phone's,
 * a sec-ch-ua-platform naming another OS, or client hints from an engine that never sends them (Gecko, WebKit).
 */
export function hasInconsistentHeaders(device: ParsedDevice, headers: Record<string, string>): boolean {
  const mobile = headers["sec-ch-ua-mobile"]?.trim();
  if (mobile === "?1" && device.deviceType === "desktop") return true;
  if (mobile === "?0" && device.deviceType === "mobile") return true;

  const platformHeader = headers["sec-ch-ua-platform"];
  if (platformHeader !== undefined) {
    const claimed = platformHeader.trim().replace(/^"|"$/g, "").toLowerCase();
    const platform = claimed === "chromium os" ? "chrome os" : claimed;
    const expected = PLATFORM_OF_OS.get(device.os);
    const known = expected !== undefined && platform !== "" && platform !== "unknown";
    // Chrome for Android's "desktop site" mode sends a Linux user agent with the Android platform.
    const desktopMode = expected === "linux" && platform === "android";
    if (known && platform !== expected && !desktopMode) return true;
  }

  if (headers["sec-ch-ua"] !== undefined && (device.engine === "Gecko" || device.engine === "WebKit")) return true;
  return false;
}
