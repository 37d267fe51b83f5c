import { type Browser, chromium } from "playwright-core";

/** Debian's chromium: tests never download a browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Debian's chromium, headless, with nothing of its own talking to the network. Playwright
 * gives every launch a fresh user-data-dir (a temporary profile it deletes on close), and every
 * context a fresh storage.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
