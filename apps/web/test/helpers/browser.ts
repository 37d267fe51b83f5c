import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../../../../test/helpers/headless-chromium.js";

const web = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where browser tests and the benchmark write screenshots (gitignored). */
export const outputDir = join(web, "..", "..", "test-results", "dashboard");

/** Builds the dashboard if its sources changed since the last build (the gateway serves dist/). */
export function ensureDashboardBuilt(): void {
  execFileSync(process.execPath, [join(web, "scripts", "build.mjs")], { stdio: "inherit" });
}

/**
 * A fresh browser (Debian's chromium, its own temporary profile) and one page in a context with
 * a fixed locale and window size.
 */
export async function openDashboardBrowser(): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const context = await browser.newContext({
    locale: "en-US",
    viewport: { width: 1400, height: 1000 },
    acceptDownloads: true,
  });
  return { browser, page: await context.newPage() };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's violations on the page as it is now (injected through the debugger, not the page's CSP). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  // Runs in the page (a string: this program has no DOM types).
  return page.evaluate<AxeViolation[]>(`axe.run(document).then((result) => result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target })),
  })))`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(outputDir, { recursive: true });
  const path = join(outputDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Polls until the page shows what is expected (generous: CI machines are busy). */
export function eventually<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 10_000 });
}

/** Waits until no panel of the page is loading (after the page has rendered the change that started them). */
export async function settled(page: Page) {
  await expect
    .poll(() => page.locator('[aria-busy="true"], [data-state="loading"]').count(), { timeout: 30_000 })
    .toBe(0);
}

/** axe-core finds no serious or critical violation on the page as it is now. */
export async function expectNoSeriousViolations(page: Page, name: string) {
  const violations = (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

/** Signs in on the sign-in form with an API key and waits for the organization's name. */
export async function signIn(page: Page, url: string, key: string, organization: string) {
  await page.goto(url);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await eventually(() => page.getByTestId("organization").textContent()).toBe(`Organization ${organization}`);
}
