import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import {
  AnalyticsService,
  CampaignService,
  CreditDimension,
  FilterOperator,
  Granularity,
  JourneyKey,
  MatchOperator,
} from "@trellis/contracts";
import { createAccounts, createWardenRepository } from "@trellis/warden";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventSpec } from "../../../../test/helpers/events.js";
import { repoRoot } from "../../../../test/helpers/processes.js";
import { startTestWarehouse, type TestWarehouse } from "../../../../test/helpers/warehouse.js";
import { apiTransport } from "../helpers/api.js";
import {
  ensureDashboardBuilt,
  eventually,
  expectNoSeriousViolations,
  openDashboardBrowser,
  screenshot,
  settled as settledOn,
} from "../helpers/browser.js";

// Traffic of the last weeks (the page opens on the last 30 days in UTC): paid search tagged
// utm_campaign=spring that no campaign claims yet, organic search from France on mobile, and
// crawlers; a little traffic in the period before, so the tiles have a change to show.
const DAY = 86_400_000;
const todayUtc = new Date().toISOString().slice(0, 10);
const dayAgo = (days: number, hour: number, minute = 0) =>
  new Date(Date.parse(`${todayUtc}T00:00:00Z`) - days * DAY + hour * 3_600_000 + minute * 60_000);
const range = {
  startDate: new Date(Date.parse(`${todayUtc}T00:00:00Z`) - 29 * DAY).toISOString().slice(0, 10),
  endDate: todayUtc,
  timeZone: "UTC",
};

function traffic(): EventSpec[] {
  const events: EventSpec[] = [];
  const add = (time: Date, type: EventSpec["type"], visitor: string, columns: Record<string, unknown>, value = 0) =>
    events.push({ organizationId: "acme", time, type, visitorId: visitor, sessionId: `${visitor}-s`, value, columns });
  const paid = (k: number) => ({
    channel: "paid_search",
    source: "google",
    medium: "cpc",
    country: "US",
    device_type: "desktop",
    landing_path: "/spring",
    query_params: { utm_campaign: "spring" },
    fraud_score: k % 4 === 0 ? 90 : 5,
    click_id: `gclid-${k}`,
    click_id_type: "gclid",
  });
  const organic = {
    channel: "organic_search",
    source: "bing",
    country: "FR",
    device_type: "mobile",
    landing_path: "/blog",
  };
  for (let k = 1; k <= 14; k++) {
    add(dayAgo(k, 9), "click", `paid-${k}`, paid(k));
    add(dayAgo(k, 9, 1), "pageview", `paid-${k}`, paid(k));
    if (k % 2 === 0) add(dayAgo(k, 9, 5), "conversion", `paid-${k}`, { country: "US", device_type: "desktop" }, 40);
    add(dayAgo(k, 12), "pageview", `organic-${k}`, organic);
    add(dayAgo(k, 12, 2), "pageview", `organic-${k}`, organic);
    if (k % 3 === 0) add(dayAgo(k, 12, 4), "conversion", `organic-${k}`, { country: "FR", device_type: "mobile" }, 15);
    add(dayAgo(k, 3), "pageview", `bot-${k}`, { channel: "direct", country: "DE", device_type: "bot", is_bot: true });
  }
  for (let k = 35; k <= 40; k++) add(dayAgo(k, 10), "pageview", `old-${k}`, organic);
  return events;
}

let warehouse: TestWarehouse;
/** A shop's web site on another origin, with the tracker installed as the dashboard shows it. */
let site: http.Server;
let siteUrl = "";
let sitePage = "";
let browser: Browser;
let page: Page;
let analytics: Client<typeof AnalyticsService>;
let campaigns: Client<typeof CampaignService>;
const cspProblems: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureDashboardBuilt();
  execFileSync(process.execPath, [join(repoRoot, "packages", "tracker", "build.mjs")]);
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex"] });
  await warehouse.insertEvents(traffic());
  const transport = apiTransport(warehouse.url, warehouse.keys.acme);
  analytics = createClient(AnalyticsService, transport);
  campaigns = createClient(CampaignService, transport);
  const accounts = createAccounts({ repository: createWardenRepository(warehouse.embedded.store) });
  site = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(sitePage);
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
  const publishable = await accounts.createApiKey({
    organizationId: "acme",
    name: "shop site",
    scopes: ["events:write"],
    kind: "publishable",
    allowedOrigins: [siteUrl],
  });
  sitePage = `<!doctype html><html lang="en"><head><title>Shop</title>
<script defer src="${warehouse.url}/tracker.js" data-key="${publishable.credential}"></script>
</head><body><h1>Shop</h1></body></html>`;
  // A first ruleset version that claims none of the traffic above: the as-of selector's "before".
  await campaigns.createCampaign({
    campaign: {
      name: "Autumn",
      rules: [{ conditions: [{ field: "utm_campaign", operator: MatchOperator.EQUALS, values: ["autumn"] }] }],
    },
  });
  ({ browser, page } = await openDashboardBrowser());
  page.setDefaultTimeout(10_000);
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspProblems.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  site?.close();
  await warehouse?.close();
});

const settled = () => settledOn(page);
const noSeriousViolations = (name: string) => expectNoSeriousViolations(page, name);

async function tileValue(name: string): Promise<number> {
  return Number(await page.getByTestId(`kpi-${name}`).getAttribute("data-value"));
}

/** A breakdown panel's rows as value → visitors, read from the page. */
async function breakdownRows(dimension: string): Promise<Record<string, number>> {
  return page
    .locator(`#breakdown-${dimension} tbody tr`)
    .evaluateAll((rows) =>
      Object.fromEntries(
        rows.map((row) => [
          row.querySelector("[data-key]")?.getAttribute("data-key") ?? "",
          Number(row.querySelector("[data-value]")?.getAttribute("data-value")),
        ]),
      ),
    );
}

async function apiBreakdown(dimension: string, filters: { field: string; value: string }[] = []) {
  const answer = await analytics.runReport({
    dimensions: [dimension],
    metrics: ["visitors"],
    range,
    filters: filters.map((f) => ({
      field: f.field,
      operator: FilterOperator.EQ,
      value: { kind: { case: "stringValue", value: f.value } },
    })),
    orderBy: [{ field: "visitors", direction: 2 }],
    limit: 10,
  });
  return Object.fromEntries(answer.rows.map((r) => [String(r[dimension] || "(none)"), Number(r.visitors)]));
}

const dimensions = ["channel", "source", "campaign_id", "landing_path", "country", "device_type"];

describe("the dashboard in a real browser against the all-in-one process", () => {
  it("serves the page with its CSP, keeps the API's 404 JSON, and signs in with a key kept for the tab", async () => {
    const home = await fetch(`${warehouse.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get("content-security-policy")).toContain("script-src 'self'");
    const api = await fetch(`${warehouse.url}/api/v1/nothing-here`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("not_found");

    // A key that may only send events is told why it cannot open the dashboard.
    const writer = await warehouse.createKey("acme", ["events:write"]);
    await page.goto(`${warehouse.url}/?tz=UTC`);
    await page.getByLabel("API key").fill(writer);
    await page.getByRole("button", { name: "Sign in" }).click();
    await eventually(() => page.getByRole("alert").textContent()).toContain("lacks the analytics:read scope");
    expect(await page.evaluate<number>("sessionStorage.length")).toBe(0);

    await page.getByLabel("API key").fill("trk_not_a_real_key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await eventually(() => page.getByRole("alert").textContent()).toContain("Not signed in");

    await page.getByLabel("API key").fill(warehouse.keys.acme ?? "");
    await page.getByRole("button", { name: "Sign in" }).click();
    await eventually(() => page.getByTestId("organization").textContent()).toBe("Organization acme");
    expect(await page.evaluate<number>("localStorage.length")).toBe(0);
    expect(await page.evaluate<string[]>("Object.keys(sessionStorage)")).toEqual(["trellis.apiKey"]);
    await noSeriousViolations("sign-in done");
  });

  it("shows the API's numbers on the first screen", async () => {
    await settled();
    const [current, previousAnswer] = await Promise.all([
      analytics.getTraffic({ range, groupBy: Granularity.DAY }),
      analytics.getTraffic({
        range: {
          ...range,
          startDate: new Date(Date.parse(range.startDate) - 30 * DAY).toISOString().slice(0, 10),
          endDate: new Date(Date.parse(range.startDate) - DAY).toISOString().slice(0, 10),
        },
      }),
    ]);
    const totals = current.totals;
    expect(Number(totals?.visitors)).toBe(42);
    expect(await tileValue("visitors")).toBe(Number(totals?.visitors));
    expect(await tileValue("sessions")).toBe(Number(totals?.sessions));
    expect(await tileValue("conversions")).toBe(Number(totals?.conversions));
    expect(await tileValue("revenue")).toBe(totals?.revenue);
    expect(await tileValue("conversion-rate")).toBeCloseTo(Number(totals?.conversions) / Number(totals?.sessions), 10);
    expect(await page.getByTestId("kpi-revenue").textContent()).toContain(
      `$${totals?.revenue.toLocaleString("en-US")}`,
    );
    const previousVisitors = Number(previousAnswer.totals?.visitors);
    expect(previousVisitors).toBe(6);
    expect(await page.getByTestId("kpi-visitors").textContent()).toContain(
      `+${(((42 - previousVisitors) / previousVisitors) * 100).toFixed(0)}% vs previous period`,
    );
    for (const dimension of dimensions) {
      expect(await breakdownRows(dimension), dimension).toEqual(await apiBreakdown(dimension));
    }
    const quality = await analytics.runReport({ metrics: ["events", "bot_events"], range });
    const row = quality.rows[0] ?? {};
    expect(Number(await page.getByTestId("bot-share").getAttribute("data-value"))).toBeCloseTo(
      Number(row.bot_events) / Number(row.events),
      10,
    );
    expect(await page.locator("#traffic canvas").count()).toBe(1);
    await screenshot(page, "overview");
    await noSeriousViolations("overview");
  });

  it("filters every panel by a clicked value, and the URL holds the filter", async () => {
    const before = {
      visitors: await tileValue("visitors"),
      ...Object.fromEntries(
        await Promise.all(dimensions.map(async (d) => [d, JSON.stringify(await breakdownRows(d))] as const)),
      ),
      bots: await page.getByTestId("bot-share").getAttribute("data-value"),
    };
    // By keyboard: the value is a button in the tab order.
    await page.getByRole("button", { name: "Filter by channel paid_search" }).focus();
    await page.keyboard.press("Enter");
    await eventually(() => page.url()).toContain("filter=channel%3Apaid_search");
    await page.getByTestId("filter-chip").waitFor();
    await settled();
    const filter = [{ field: "channel", value: "paid_search" }];
    const filtered = await analytics.getTraffic({
      range,
      filters: [
        {
          field: "channel",
          operator: FilterOperator.EQ,
          value: { kind: { case: "stringValue", value: "paid_search" } },
        },
      ],
    });
    expect(await tileValue("visitors")).toBe(Number(filtered.totals?.visitors));
    expect(await tileValue("visitors")).not.toBe(before.visitors);
    for (const dimension of dimensions) {
      const rows = await breakdownRows(dimension);
      expect(rows, dimension).toEqual(await apiBreakdown(dimension, filter));
      expect(JSON.stringify(rows), dimension).not.toBe(before[dimension as keyof typeof before]);
    }
    expect(await page.getByTestId("bot-share").getAttribute("data-value")).not.toBe(before.bots);
    // The shared URL opens the same view.
    await page.goto(page.url());
    await page.getByTestId("filter-chip").waitFor();
    await settled();
    expect(await tileValue("visitors")).toBe(Number(filtered.totals?.visitors));
    await page.getByTestId("filter-chip").click();
    await page.getByTestId("filter-chip").waitFor({ state: "detached" });
    await settled();
    expect(await tileValue("visitors")).toBe(before.visitors);
  });

  it("answers for the range preset and time zone picked, and the URL holds them", async () => {
    const visitorsFor = async (startDate: string, endDate: string, timeZone: string) =>
      Number((await analytics.getTraffic({ range: { startDate, endDate, timeZone } })).totals?.visitors);
    try {
      await pickRangeAndZone(visitorsFor);
    } finally {
      // The next tests read the last 30 days in UTC.
      await page.goto(`${warehouse.url}/?tz=UTC`);
      await settled();
    }
    // The tile has no value while its answer loads (it shows "…"): wait for the answer.
    await expect.poll(() => tileValue("visitors"), { timeout: 10_000 }).toBe(42);
  });

  async function pickRangeAndZone(visitorsFor: (from: string, to: string, timeZone: string) => Promise<number>) {
    await page.getByLabel("Range").selectOption("7d");
    await eventually(() => page.url()).toContain("range=7d");
    const week = {
      from: new Date(Date.parse(`${todayUtc}T00:00:00Z`) - 6 * DAY).toISOString().slice(0, 10),
      to: todayUtc,
    };
    const weekVisitors = await visitorsFor(week.from, week.to, "UTC");
    expect(weekVisitors).toBeLessThan(42);
    await expect.poll(() => tileValue("visitors"), { timeout: 10_000 }).toBe(weekVisitors);
    expect(await page.getByLabel("From", { exact: true }).inputValue()).toBe(week.from);

    await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
    await eventually(() => page.url()).toContain("tz=Asia%2FTokyo");
    const tokyoToday = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(new Date());
    const tokyoFrom = new Date(Date.parse(`${tokyoToday}T00:00:00Z`) - 6 * DAY).toISOString().slice(0, 10);
    expect(await page.getByLabel("To", { exact: true }).inputValue()).toBe(tokyoToday);
    await settled();
    await expect
      .poll(() => tileValue("visitors"), { timeout: 10_000 })
      .toBe(await visitorsFor(tokyoFrom, tokyoToday, "Asia/Tokyo"));
  }

  it("updates the live card from WatchRealtime within 2 s of a page view the tracker sends", async () => {
    await eventually(() => page.getByTestId("live-events").getAttribute("data-value")).not.toBe("");
    const shown = Number(await page.getByTestId("live-events").getAttribute("data-value"));
    const shop = await page.context().newPage();
    try {
      const sent = shop.waitForResponse((r) => r.url().startsWith(`${warehouse.url}/api/v1/events`));
      await shop.goto(siteUrl);
      expect((await sent).status()).toBe(200);
      // The stream pushes a snapshot every second: the stored event shows in the next one or two.
      await expect
        .poll(async () => Number(await page.getByTestId("live-events").getAttribute("data-value")), {
          timeout: 2_000,
          interval: 50,
        })
        .toBeGreaterThan(shown);
    } finally {
      await shop.close();
    }
  });

  it("creates a campaign in the editor that moves credit for traffic stored before it, and shows older numbers as of an older ruleset", async () => {
    await page.getByRole("link", { name: "Campaigns" }).click();
    await settled();
    expect(await page.locator("#campaign-list tbody tr").count()).toBe(1);
    await noSeriousViolations("campaigns");
    await page.getByRole("button", { name: "New campaign" }).click();
    await page.locator('input[name="campaign-name"]').fill("Spring sale");
    // The API's validation shows beside the field: an equals condition needs exactly one value.
    await eventually(() => page.locator(".condition .field-problem").textContent()).toContain("exactly one value");
    await page.getByLabel("Values (one a line)").fill("spring");
    const preview = await campaigns.previewCampaign({
      campaign: {
        name: "Spring sale",
        rules: [{ conditions: [{ field: "utm_campaign", operator: MatchOperator.EQUALS, values: ["spring"] }] }],
      },
      range,
    });
    expect(preview.events).toBe(28n);
    await eventually(() => page.getByTestId("preview-events").getAttribute("data-value")).toBe(String(preview.events));
    await eventually(() => page.locator("[data-testid=campaign-preview] canvas").count()).toBe(1);
    await screenshot(page, "campaign-editor");
    await noSeriousViolations("campaign editor");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await eventually(() => page.locator("#campaign-list tbody tr").count()).toBe(2);
    const listed = await campaigns.listCampaigns({});
    const spring = listed.campaigns.find((c) => c.name === "Spring sale");
    expect(spring).toBeDefined();
    expect(await page.locator("#campaign-list tbody").textContent()).toContain("Spring sale");
    const performance = await analytics.getCampaignPerformance({ range, campaignIds: [spring?.id ?? ""] });
    const sum = (pick: (r: (typeof performance.rows)[number]) => bigint) =>
      String(performance.rows.reduce((total, r) => total + Number(pick(r)), 0));
    expect(sum((r) => r.clicks)).toBe("14");
    await expect
      .poll(() =>
        page
          .locator('#campaign-list tbody tr:has-text("Spring sale") [data-value]')
          .evaluateAll((cells) => cells.map((c) => c.getAttribute("data-value"))),
      )
      .toEqual([sum((r) => r.clicks), sum((r) => r.conversions)]);

    await page.getByRole("link", { name: "Attribution" }).click();
    await page.locator("select[name=credit-by]").selectOption(String(CreditDimension.CAMPAIGN));
    await settled();
    const settings = { creditBy: CreditDimension.CAMPAIGN, lookbackDays: 30, journeyKey: JourneyKey.VISITOR };
    const now = await analytics.compareAttributionModels({ range, settings });
    const lastTouch = (answer: typeof now, key: string) =>
      answer.models.find((m) => m.model === 2)?.credits.find((c) => c.key === key)?.conversions ?? 0;
    const springCredit = lastTouch(now, spring?.id ?? "");
    expect(springCredit).toBeGreaterThan(0);
    const shownCredit = () =>
      page
        .locator(`#models tbody tr:has([data-key="${spring?.id}"]) [data-model=last_touch]`)
        .getAttribute("data-value", { timeout: 5_000 });
    expect(Number(await shownCredit())).toBeCloseTo(springCredit, 10);
    expect(await page.locator(`#models tbody [data-key="${spring?.id}"]`).textContent()).toBe("Spring sale");
    await screenshot(page, "attribution");
    await noSeriousViolations("attribution");

    // As of the ruleset before the campaign existed, the same traffic had no campaign.
    const versions = (await campaigns.listRulesetVersions({})).versions;
    const older = versions.find((v) => v.version < (spring?.rulesetVersion ?? 0n));
    expect(older).toBeDefined();
    await page.getByTestId("as-of").selectOption(String(older?.version));
    await eventually(() => page.url()).toContain(`asof=${older?.version}`);
    await eventually(() => page.locator(`#models tbody [data-key="${spring?.id}"]`).count()).toBe(0);
    await settled();
    const then = await analytics.compareAttributionModels({
      range,
      settings,
      asOfRulesetVersion: older?.version ?? 0n,
    });
    expect(lastTouch(then, spring?.id ?? "")).toBe(0);
    expect(await page.locator(`#models tbody [data-key="${spring?.id}"]`).count()).toBe(0);
    expect(
      Number(
        await page
          .locator('#models tbody tr:has([data-key="(none)"]) [data-model=last_touch]')
          .getAttribute("data-value"),
      ),
    ).toBeCloseTo(lastTouch(then, "(none)"), 10);
    await page.getByTestId("as-of").selectOption("0");
    await settled();
  });

  it("edits a campaign: the editor opens it as stored and saves the change", async () => {
    await page.getByRole("link", { name: "Campaigns" }).click();
    await settled();
    await page.getByRole("button", { name: "Edit campaign Autumn" }).click();
    await eventually(() => page.getByLabel("Values (one a line)").inputValue()).toBe("autumn");
    await page.getByLabel("Priority").fill("5");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect
      .poll(() => page.locator('#campaign-list tbody tr:has-text("Autumn") td:nth-child(3)').textContent())
      .toBe("5");
    const stored = (await campaigns.listCampaigns({})).campaigns.find((c) => c.name === "Autumn");
    expect(stored?.priority).toBe(5);
    expect(stored?.rules[0]?.conditions[0]?.values).toEqual(["autumn"]);
  });

  it("weights fraud down on request, says what it removed, and shows a click's journey", async () => {
    await page.getByRole("link", { name: "Attribution" }).click();
    await page.locator("select[name=credit-by]").selectOption(String(CreditDimension.CAMPAIGN));
    await settled();
    await page.getByLabel(/Weight down touches/).check();
    await expect.poll(() => page.locator("#fraud-removed tbody tr").count(), { timeout: 10_000 }).toBe(8);
    await settled();
    const weighted = await analytics.compareAttributionModels({
      range,
      settings: {
        creditBy: CreditDimension.CAMPAIGN,
        lookbackDays: 30,
        journeyKey: JourneyKey.VISITOR,
        fraudThreshold: 50,
      },
    });
    const removed = weighted.models.map((m) => m.credits.reduce((sum, c) => sum + c.fraudRemovedConversions, 0));
    expect(Math.max(...removed)).toBeGreaterThan(0);
    const shown = await page
      .locator("#fraud-removed tbody tr")
      .evaluateAll((rows) => rows.map((r) => Number(r.querySelector("[data-value]")?.getAttribute("data-value"))));
    expect(shown).toEqual(removed);
    await page.getByLabel(/Weight down touches/).uncheck();

    const journey = await analytics.getClickAttribution({ clickId: "gclid-2", includeJourney: true });
    expect(journey.journey.length).toBeGreaterThan(0);
    await page.getByLabel("Click id").fill("gclid-2");
    await page.getByRole("button", { name: "Show journey" }).click();
    await eventually(() => page.locator("#journey tbody tr").count()).toBe(journey.journey.length);
    const lastTouchCredit = await page
      .locator("#journey tbody [data-model=last_touch]")
      .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute("data-value"))));
    expect(lastTouchCredit).toEqual(journey.journey.map((t) => t.credit.last_touch ?? 0));
    await noSeriousViolations("attribution with a journey");
  });

  it("shows the funnel and the cohorts the API computes", async () => {
    await page.getByRole("link", { name: "Funnels & cohorts" }).click();
    await settled();
    const funnel = await analytics.getFunnel({
      range,
      steps: [{ name: "pageview" }, { name: "click" }, { name: "conversion" }],
      windowSeconds: 24 * 3600,
      journeyKey: JourneyKey.VISITOR,
    });
    const shown = await page
      .locator("#funnel tbody [data-value]")
      .evaluateAll((cells) => cells.map((c) => c.getAttribute("data-value")));
    expect(shown).toEqual(funnel.steps.map((s) => String(s.count)));
    expect(Number(funnel.steps[0]?.count)).toBeGreaterThan(0);
    const cohorts = await analytics.getCohorts({ range, cohortType: Granularity.WEEK, metric: 1, periods: 8 });
    const sizes = await page
      .locator("#cohorts tbody td[data-value]")
      .evaluateAll((cells) => cells.map((c) => c.getAttribute("data-value")));
    expect(sizes).toEqual(cohorts.cohorts.map((c) => String(c.size)));
    await screenshot(page, "funnels");
    await noSeriousViolations("funnels");
  });

  it("runs SQL in the sandbox, shows its errors and offers the rows for download", async () => {
    await page.getByRole("link", { name: "SQL" }).click();
    const sql =
      "SELECT channel, count() AS events FROM analytics_events WHERE event_date >= {from:Date} GROUP BY channel ORDER BY channel";
    await page.getByLabel("Statement (Ctrl+Enter runs it)").fill(sql);
    await page.getByLabel(/^Parameters/).fill(`from=${range.startDate}`);
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByTestId("sql-result").waitFor();
    const answer = await analytics.runSql({ sql, parameters: { from: range.startDate }, maxRows: 1000 });
    const cells = await page
      .locator("[data-testid=sql-result] tbody tr")
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(cells).toEqual(answer.rows.map((r) => [String(r.channel), String(r.events)]));
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download CSV" }).click();
    const csv = await (await download).createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of csv) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString().split("\n")[0]).toBe("channel,events");
    await screenshot(page, "sql");
    await noSeriousViolations("sql");

    await page.getByLabel("Statement (Ctrl+Enter runs it)").fill("SELECT * FROM system.tables");
    await page.getByLabel("Statement (Ctrl+Enter runs it)").press("Control+Enter");
    await eventually(() => page.locator("#sql-problem").textContent()).toMatch(/system/i);

    // A statement the parser stops in: the console says where, and puts the caret there.
    const broken = "SELECT channel,\n  count( AS events\nFROM analytics_events";
    await page.getByLabel("Statement (Ctrl+Enter runs it)").fill(broken);
    await page.getByRole("button", { name: "Run" }).click();
    await expect
      .poll(() => page.locator("#sql-problem").textContent())
      .toMatch(/At line \d+, column \d+ of the statement/);
    const reason = (await page.locator("#sql-problem li").first().textContent()) ?? "";
    const position = Number(/position (\d+)/.exec(reason)?.[1]);
    expect(position, reason).toBeGreaterThan(0);
    expect(
      await page
        .getByLabel("Statement (Ctrl+Enter runs it)")
        .evaluate((e) => (e as unknown as { selectionStart: number }).selectionStart),
    ).toBe(position - 1);
  });

  it("shows how to send events, signs out, and never broke its CSP", async () => {
    await page.getByRole("link", { name: "Getting data in" }).click();
    expect(await page.getByTestId("ingest-snippet").textContent()).toContain(`${warehouse.url}/api/v1/events`);
    // The snippet of the page the live card test loaded, but for the signed-in organization.
    expect(await page.getByTestId("tracker-snippet").textContent()).toContain(`src="${warehouse.url}/tracker.js"`);
    expect(await page.getByTestId("publishable-key-command").textContent()).toContain("--org acme --publishable");
    await screenshot(page, "getting-data-in");
    await noSeriousViolations("getting data in");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").waitFor();
    expect(await page.evaluate<number>("sessionStorage.length")).toBe(0);
    expect(cspProblems).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
