// The dashboard's first screen, as a marketer opens it: the all-in-one product on the embedded
// default with the demo organization, headless chromium signed in with the demo key. Measured in
// the browser: navigation start to the moment the last panel of the first screen shows its data
// (the page's own `trellis:first-screen` performance mark), and the JavaScript bytes shipped
// (gzip, as sent). The floor of the same run: the first screen's nine API questions asked
// directly over Connect from Node, concurrently, as the page asks them.
// `--screenshot` also writes docs/dashboard.png (the README's picture of the first screen).
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AnalyticsService, Granularity } from "@trellis/contracts";
import { ensureDashboardBuilt, openDashboardBrowser } from "../../apps/web/test/helpers/browser.js";
import { repoRoot, startProduct } from "../lib/processes.js";
import { percentile, progress, report } from "../lib/report.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const DEMO_EVENTS = process.env.BENCH_DEMO_EVENTS ?? "200000";
const JS_LIMIT_BYTES = 250 * 1024;
const FIRST_SCREEN_LIMIT_MS = 1_000;

ensureDashboardBuilt();
const dataDir = mkdtempSync(join(tmpdir(), "trellis-bench-dashboard-"));
progress(`starting the product with ${DEMO_EVENTS} demo events`);
const product = await startProduct({
  TRELLIS_DATA_DIR: dataDir,
  TRELLIS_DEMO_EVENTS: DEMO_EVENTS,
  TRELLIS_DEMO: "true",
});
const { browser, page } = await openDashboardBrowser();
try {
  const key = product.apiKey;
  if (!key) throw new Error(`no demo API key printed:\n${product.output()}`);
  const seeded = Date.now();
  while (!product.output().includes("demo organization seeded")) {
    if (Date.now() - seeded > 600_000) throw new Error("the demo organization was not seeded within 10 minutes");
    await new Promise((r) => setTimeout(r, 200));
  }

  // The view the page opens on: the last 30 days, in UTC.
  const today = new Date().toISOString().slice(0, 10);
  const day = (offset: number) =>
    new Date(Date.parse(`${today}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  const range = { startDate: day(-29), endDate: today, timeZone: "UTC" };
  const previous = { startDate: day(-59), endDate: day(-30), timeZone: "UTC" };
  const pageUrl = `${product.url}/?range=30d&tz=UTC`;

  await page.goto(`${product.url}/healthz`);
  // The key the sign-in form would store, for this tab only.
  await page.goto(pageUrl);
  await page.evaluate(`sessionStorage.setItem("trellis.apiKey", ${JSON.stringify(key)})`);

  async function firstScreenMs(): Promise<number> {
    await page.goto(pageUrl);
    const started = Date.now();
    for (;;) {
      const mark = await page.evaluate<number | null>(
        `performance.getEntriesByName("trellis:first-screen")[0]?.startTime ?? null`,
      );
      if (mark !== null) return mark;
      if (Date.now() - started > 60_000) throw new Error("the first screen never finished loading");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const firstLoad = await firstScreenMs();
  const scripts = await page.evaluate<{ name: string; encoded: number; decoded: number }[]>(
    `performance.getEntriesByType("resource").filter((r) => r.name.endsWith(".js")).map((r) => ({ name: r.name, encoded: r.encodedBodySize, decoded: r.decodedBodySize }))`,
  );
  const jsGzip = scripts.reduce((sum, s) => sum + s.encoded, 0);
  const jsRaw = scripts.reduce((sum, s) => sum + s.decoded, 0);
  if (process.argv.includes("--screenshot")) {
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.screenshot({ path: join(repoRoot, "docs", "dashboard.png") });
    progress("wrote docs/dashboard.png");
  }

  const browserRuns: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    progress(`run ${run}/${RUNS}: first screen in the browser`);
    browserRuns.push(await firstScreenMs());
  }

  const withKey: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
  const analytics = createClient(
    AnalyticsService,
    createConnectTransport({ baseUrl: product.url, httpVersion: "1.1", interceptors: [withKey] }),
  );
  const breakdown = (dimension: string) =>
    analytics.runReport({
      dimensions: [dimension],
      metrics: ["visitors", "conversions", "revenue"],
      range,
      orderBy: [{ field: "visitors", direction: 2 }],
      limit: 10,
    });
  const apiRuns: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    progress(`run ${run}/${RUNS}: the first screen's questions from Node`);
    const started = performance.now();
    await Promise.all([
      analytics.getTraffic({ range, groupBy: Granularity.DAY }),
      analytics.getTraffic({ range: previous }),
      ...["channel", "source", "campaign_id", "landing_path", "country", "device_type"].map(breakdown),
      analytics.runReport({ metrics: ["events", "bot_events", "average_fraud_score"], range }),
    ]);
    apiRuns.push(performance.now() - started);
  }

  const browserP50 = percentile(browserRuns, 50);
  const apiP50 = percentile(apiRuns, 50);
  report(
    "dashboard",
    [
      {
        case: "floor: the first screen's 9 API questions, concurrently from Node",
        p50_ms: apiP50,
        max_ms: Math.max(...apiRuns),
        ratio_to_floor: 1,
        limit: "",
      },
      {
        case: "first screen in chromium: navigation start → last panel filled (cached assets)",
        p50_ms: browserP50,
        max_ms: Math.max(...browserRuns),
        ratio_to_floor: browserP50 / apiP50,
        limit: `${FIRST_SCREEN_LIMIT_MS} ms: ${(browserP50 / FIRST_SCREEN_LIMIT_MS).toFixed(2)} of it`,
      },
      {
        case: "first screen in chromium, first load (empty browser cache)",
        p50_ms: firstLoad,
        max_ms: firstLoad,
        ratio_to_floor: firstLoad / apiP50,
        limit: "",
      },
      {
        case: `JavaScript shipped for the first screen: ${(jsGzip / 1024).toFixed(1)} KiB gzip (${(jsRaw / 1024).toFixed(1)} KiB unpacked)`,
        p50_ms: "",
        max_ms: "",
        ratio_to_floor: "",
        limit: `${JS_LIMIT_BYTES / 1024} KiB: ${(jsGzip / JS_LIMIT_BYTES).toFixed(2)} of it`,
      },
    ],
    {
      runs: RUNS,
      demoEvents: Number(DEMO_EVENTS),
      cpus: cpus().length,
      node: process.version,
      jsGzipBytes: jsGzip,
      jsBytes: jsRaw,
      scripts,
    },
  );
} finally {
  await browser.close();
  await product.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
