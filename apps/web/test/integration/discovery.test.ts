import { type Client, createClient } from "@connectrpc/connect";
import {
  AnalyticsService,
  CampaignService,
  CreditDimension,
  DiscoveryService,
  Granularity,
  JourneyKey,
} from "@trellis/contracts";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventSpec } from "../../../../test/helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../../../../test/helpers/warehouse.js";
import { apiTransport } from "../helpers/api.js";
import {
  ensureDashboardBuilt,
  eventually,
  expectNoSeriousViolations,
  openDashboardBrowser,
  screenshot,
  settled,
  signIn,
} from "../helpers/browser.js";

/**
 * Two weeks of acme's traffic (2024-06-01 … 06-14), viewed as a custom range:
 * - 20 sessions of a tagged campaign ("summer"), so unattributed traffic has something to differ from;
 * - a newsletter nobody tagged: 12 sessions from news.example.com to /blog/spring?ref=spring, 3 of
 *   them buying for 50, none before the range (the pattern discovery finds);
 * - 10 direct sessions to the home page every day since 2024-05-11 (history for the anomaly
 *   baseline), and on 06-10 30 more from Germany (the anomaly);
 * - one data-centre address clicking 25 times on 06-07 (a fraud pattern).
 * globex gets the same newsletter: acme must never see it.
 */
const range = { startDate: "2024-06-01", endDate: "2024-06-14", timeZone: "UTC" };
const viewQuery = `range=custom&from=${range.startDate}&to=${range.endDate}&tz=UTC`;
const DAY = 86_400_000;

function traffic(): EventSpec[] {
  const events: EventSpec[] = [];
  let n = 0;
  const session = (
    org: string,
    start: number,
    columns: EventSpec["columns"],
    convert?: number,
    campaignId?: string,
  ) => {
    const id = `${org}-s${n++}`;
    const base = { organizationId: org, visitorId: id, sessionId: id, campaignId };
    events.push({ ...base, time: new Date(start), type: "pageview", columns });
    events.push({ ...base, time: new Date(start + 60_000), type: "pageview", columns: { channel: "internal" } });
    if (convert !== undefined)
      events.push({ ...base, time: new Date(start + 600_000), type: "conversion", value: convert });
  };
  const at = (date: string, minute: number) => Date.parse(`${date}T10:00:00Z`) + minute * 60_000;
  const newsletter = {
    referrer_host: "news.example.com",
    channel: "referral",
    source: "news.example.com",
    medium: "referral",
    landing_path: "/blog/spring",
    query_params: { ref: "spring" },
    country: "FR",
    device_type: "desktop",
  };
  for (let i = 0; i < 12; i++) session("acme", at(`2024-06-0${3 + (i % 3)}`, i), newsletter, i < 3 ? 50 : undefined);
  for (let i = 0; i < 20; i++)
    session(
      "acme",
      at(`2024-06-${String(1 + (i % 14)).padStart(2, "0")}`, 50 + i),
      { channel: "paid_search", source: "google", medium: "cpc", query_params: { utm_campaign: "summer" } },
      i < 4 ? 20 : undefined,
      "summer",
    );
  for (let i = 0; i < 12; i++) session("globex", at("2024-06-04", i), newsletter, 99);
  for (let t = Date.parse("2024-05-11T00:00:00Z"); t <= Date.parse("2024-06-14T00:00:00Z"); t += DAY) {
    const date = new Date(t).toISOString().slice(0, 10);
    for (let i = 0; i < 10; i++)
      session("acme", at(date, 100 + i), { channel: "direct", source: "(direct)", landing_path: "/", country: "US" });
    if (date === "2024-06-10")
      for (let i = 0; i < 30; i++)
        session("acme", at(date, 200 + i), { channel: "direct", source: "(direct)", landing_path: "/", country: "DE" });
  }
  for (let i = 0; i < 25; i++) {
    const id = `acme-dc${i}`;
    events.push({
      organizationId: "acme",
      time: new Date(at("2024-06-07", 300) + i * 6_000),
      type: "click",
      visitorId: id,
      sessionId: id,
      columns: {
        ip_hash: "111",
        source: "google",
        asn: 16509,
        as_organization: "AMAZON-02",
        fraud_flags: ["datacenter_network"],
        fraud_score: 30,
      },
    });
  }
  return events;
}

let warehouse: TestWarehouse;
let browser: Browser;
let page: Page;
let analytics: Client<typeof AnalyticsService>;
let campaigns: Client<typeof CampaignService>;
let discovery: Client<typeof DiscoveryService>;
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureDashboardBuilt();
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex"] });
  await warehouse.insertEvents(traffic());
  const transport = apiTransport(warehouse.url, warehouse.keys.acme);
  analytics = createClient(AnalyticsService, transport);
  campaigns = createClient(CampaignService, transport);
  discovery = createClient(DiscoveryService, transport);
  ({ browser, page } = await openDashboardBrowser());
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await warehouse?.close();
});

/** The pattern cards as the page shows them: name, conditions and evidence. */
function shownPatterns() {
  return page.getByTestId("pattern").evaluateAll((cards) =>
    cards.map((card) => ({
      name: card.querySelector("h3")?.textContent ?? "",
      conditions: [...card.querySelectorAll(".conditions li")].length,
      facts: Object.fromEntries(
        [...card.querySelectorAll("[data-fact]")].map((dd) => [dd.getAttribute("data-fact"), dd.textContent]),
      ),
    })),
  );
}

const integer = new Intl.NumberFormat("en-US");
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

describe("discovery in the dashboard", () => {
  it("lists the patterns the API finds, ranked, with their evidence", async () => {
    await signIn(page, `${warehouse.url}/discovery?${viewQuery}`, warehouse.keys.acme ?? "", "acme");
    await settled(page);
    const answer = await discovery.discoverPatterns({ range });
    const newsletter = answer.patterns.find((p) => p.suggestedName === "Discovered: news.example.com");
    expect(newsletter?.sessions).toBe(12n);
    const shown = await shownPatterns();
    expect(shown.map((p) => p.name)).toEqual(answer.patterns.map((p) => p.suggestedName));
    expect(shown.map((p) => p.conditions)).toEqual(answer.patterns.map((p) => p.conditions.length));
    for (const [i, p] of answer.patterns.entries()) {
      expect(shown[i]?.facts.Sessions).toBe(integer.format(p.sessions));
      expect(shown[i]?.facts.Conversions).toBe(integer.format(p.conversions));
      expect(shown[i]?.facts.Revenue).toBe(money.format(p.revenue));
      expect(shown[i]?.facts["Referrer hosts"] ?? "").toBe(p.referrerHosts.join(", "));
      expect(shown[i]?.facts["Time range"]).toBe(`${p.range?.startDate} – ${p.range?.endDate}`);
    }
    const card = page.locator('[data-testid=pattern]:has-text("Discovered: news.example.com")');
    expect(await card.locator("[data-fact='Conversion rate']").textContent()).toContain("25%");
    expect(await card.locator(".conditions").textContent()).toContain("news.example.com");
    // globex's copy of the newsletter is never counted for acme.
    expect(await card.locator("[data-fact=Revenue]").textContent()).toBe(money.format(150));
    await screenshot(page, "discovery");
    await expectNoSeriousViolations(page, "discovery");
  });

  it("shows anomalies with what changed, and fraud patterns, equal to the API", async () => {
    const anomalies = await discovery.detectAnomalies({
      range,
      granularity: Granularity.DAY,
      metric: "sessions",
      dimensions: ["country", "channel", "source", "device_type"],
    });
    const spike = anomalies.anomalies.find((a) => a.bucket === "2024-06-10" && a.dimension === "");
    expect(spike?.direction).toBe("spike");
    const rows = page.locator("#anomalies tbody tr");
    expect(await rows.count()).toBe(anomalies.anomalies.length);
    const observed = await rows
      .locator("[data-value]")
      .evaluateAll((cells) => cells.map((c) => c.getAttribute("data-value")));
    expect(observed).toEqual(anomalies.anomalies.map((a) => String(a.observed)));
    const spikeRow = page.locator('#anomalies tbody tr:has-text("2024-06-10"):has-text("all traffic")');
    expect(await spikeRow.textContent()).toContain("country DE");

    const fraud = await discovery.detectFraud({ range });
    expect(fraud.patterns.length).toBeGreaterThan(0);
    const fraudRows = page.locator("#fraud tbody tr");
    expect(await fraudRows.count()).toBe(fraud.patterns.length);
    expect(await fraudRows.locator("td:first-child").allTextContents()).toEqual(fraud.patterns.map((f) => f.kind));
    expect(
      await fraudRows.locator("[data-value]").evaluateAll((cells) => cells.map((c) => c.getAttribute("data-value"))),
    ).toEqual(fraud.patterns.map((f) => String(f.events)));

    // The first screen marks the same anomalies on its traffic chart and says what changed.
    await page.getByRole("link", { name: "Overview" }).click();
    await settled(page);
    const overall = anomalies.anomalies.filter((a) => a.dimension === "");
    expect(overall.map((a) => a.bucket)).toEqual(["2024-06-07", "2024-06-10"]);
    await eventually(() =>
      page.getByTestId("anomaly-marker").evaluateAll((items) => items.map((i) => i.getAttribute("data-bucket"))),
    ).toEqual(overall.map((a) => a.bucket));
    expect(await page.getByRole("link", { name: /more anomalies in single/ }).textContent()).toContain(
      String(anomalies.anomalies.length - overall.length),
    );
    expect(
      await page.locator('[data-testid=anomaly-marker][data-bucket="2024-06-10"]').first().textContent(),
    ).toContain("country DE");
    expect(await page.locator("#traffic .chart").getAttribute("aria-label")).toContain("marked as anomalies");
    await screenshot(page, "overview-anomalies");
    await expectNoSeriousViolations(page, "overview with anomalies");
  });

  it("offers adopting only to a key that may manage campaigns, keeps organizations apart, and says when nothing is found", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    const reader = await warehouse.createKey("acme", ["analytics:read"]);
    await signIn(page, `${warehouse.url}/discovery?${viewQuery}`, reader, "acme");
    await settled(page);
    expect(await page.getByTestId("pattern").count()).toBeGreaterThan(0);
    expect(await page.getByRole("button", { name: /as campaign/ }).count()).toBe(0);
    expect(await page.locator("#patterns").textContent()).toContain("needs the campaigns:manage scope");

    // globex finds only its own copy of the newsletter (12 sessions buying for 99), never acme's.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, `${warehouse.url}/discovery?${viewQuery}`, warehouse.keys.globex ?? "", "globex");
    await settled(page);
    const globexDiscovery = createClient(DiscoveryService, apiTransport(warehouse.url, warehouse.keys.globex));
    const globex = await globexDiscovery.discoverPatterns({ range });
    expect(globex.patterns.map((p) => p.revenue)).toEqual([12 * 99]);
    expect((await shownPatterns()).map((p) => p.facts.Revenue)).toEqual([money.format(12 * 99)]);

    // A range without traffic says so in every panel.
    await page.goto(`${warehouse.url}/discovery?range=custom&from=2023-01-01&to=2023-01-14&tz=UTC`);
    await settled(page);
    const empty = await globexDiscovery.discoverPatterns({
      range: { startDate: "2023-01-01", endDate: "2023-01-14", timeZone: "UTC" },
    });
    expect(empty.patterns).toEqual([]);
    // The new range's panels may not have started loading when `settled` first looks: wait for
    // all three to say so.
    await eventually(() => page.locator("#patterns .empty, #anomalies .empty, #fraud .empty").count()).toBe(3);
    await expectNoSeriousViolations(page, "discovery, empty");
  });

  it("previews a pattern as a campaign, adopts it under a new name, and the campaign is credited", async () => {
    // Signed in with acme's managing key again, whoever the test before left signed in.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, `${warehouse.url}/discovery?${viewQuery}`, warehouse.keys.acme ?? "", "acme");
    await page.getByRole("link", { name: "Discovery" }).click();
    await settled(page);
    await page.getByRole("button", { name: "Adopt “Discovered: news.example.com” as campaign…" }).press("Enter");
    await eventually(() => page.evaluate<string | undefined>("document.activeElement?.id")).toBe("adopt-title");
    // The preview comes first: the suggested rules and what they would have matched.
    const answer = await discovery.discoverPatterns({ range });
    const suggested = answer.patterns.find(
      (p) => p.suggestedName === "Discovered: news.example.com",
    )?.suggestedCampaign;
    expect(suggested).toBeDefined();
    const preview = await campaigns.previewCampaign({ campaign: suggested, range });
    expect(preview.events).toBeGreaterThan(0n);
    await eventually(() => page.getByTestId("preview-events").getAttribute("data-value")).toBe(String(preview.events));
    expect(await page.getByTestId("adopt-rule").count()).toBe(suggested?.rules.length);
    await eventually(() => page.locator("[data-testid=campaign-preview] canvas").count()).toBe(1);
    expect(await campaigns.listCampaigns({}).then((l) => l.campaigns.length)).toBe(0);
    await expectNoSeriousViolations(page, "adopt preview");

    // Rename from the keyboard, then adopt.
    const name = page.getByLabel("Campaign name");
    await name.fill("Spring newsletter");
    await name.press("Enter");
    await eventually(() => page.getByTestId("adopted").textContent()).toContain("Spring newsletter");
    const adopted = (await campaigns.listCampaigns({})).campaigns.find((c) => c.name === "Spring newsletter");
    expect(adopted).toBeDefined();
    expect(adopted?.rules.length).toBe(suggested?.rules.length);
    await screenshot(page, "discovery-adopted");

    // It is in the campaigns page, credited for the traffic stored before it existed.
    await page.getByRole("button", { name: "Open campaigns" }).click();
    await settled(page);
    const performance = await analytics.getCampaignPerformance({ range, campaignIds: [adopted?.id ?? ""] });
    const sum = (pick: (r: (typeof performance.rows)[number]) => bigint) =>
      String(performance.rows.reduce((total, r) => total + Number(pick(r)), 0));
    expect(sum((r) => r.conversions)).toBe("3");
    await expect
      .poll(() =>
        page
          .locator('#campaign-list tbody tr:has-text("Spring newsletter") [data-value]')
          .evaluateAll((cells) => cells.map((c) => c.getAttribute("data-value"))),
      )
      .toEqual([sum((r) => r.clicks), sum((r) => r.conversions)]);

    const credit = await analytics.compareAttributionModels({
      range,
      settings: { creditBy: CreditDimension.CAMPAIGN, lookbackDays: 30, journeyKey: JourneyKey.VISITOR },
    });
    const lastTouch = credit.models.find((m) => m.model === 2)?.credits.find((c) => c.key === adopted?.id);
    expect(lastTouch?.conversions).toBe(3);

    // Discovery no longer suggests what is now a campaign.
    await page.getByRole("link", { name: "Discovery" }).click();
    await settled(page);
    const after = await discovery.discoverPatterns({ range });
    expect(after.patterns.some((p) => p.suggestedName === "Discovered: news.example.com")).toBe(false);
    expect((await shownPatterns()).map((p) => p.name)).toEqual(after.patterns.map((p) => p.suggestedName));
    expect(pageErrors).toEqual([]);
  });
});
