import { execFileSync } from "node:child_process";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createAccounts, createWardenRepository } from "@trellis/warden";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/headless-chromium.js";
import { exitCode, repoRoot, runNode } from "../helpers/processes.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

const ADMIN_TOKEN = "admin-token-of-the-tracker-test-0123456789";
const RATE_BURST = 4;
let warehouse: TestWarehouse;
let site: http.Server;
/** The shop's web site: another origin than the warehouse (localhost against 127.0.0.1, another port). */
let siteOrigin = "";
let publishableKey = "";
let browser: Browser;

/** The shop's landing page: the install snippet, then a conversion the page reports. */
function landingPage(): string {
  return `<!doctype html><html><head><title>Shop</title>
<script>window.trellis=window.trellis||function(){(trellis.q=trellis.q||[]).push(arguments)};</script>
<script defer src="${warehouse.url}/tracker.js" data-key="${publishableKey}"></script>
</head><body><h1>Shop</h1>
<script>trellis("conversion", {name: "purchase", value: 42.5, currency: "EUR", id: "order-77"});</script>
</body></html>`;
}

beforeAll(async () => {
  // The gateway serves the script as `npm test` builds it (nothing is done when it is current).
  execFileSync(process.execPath, [`${repoRoot}packages/tracker/build.mjs`]);
  warehouse = await startTestWarehouse({
    organizations: ["shop", "other"],
    env: {
      TRELLIS_WARDEN_ADMIN_TOKEN: ADMIN_TOKEN,
      TRELLIS_INGEST_FLUSH_MS: "20",
      TRELLIS_PUBLISHABLE_KEY_RATE: "1",
      TRELLIS_PUBLISHABLE_KEY_BURST: String(RATE_BURST),
    },
  });
  site = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(landingPage());
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteOrigin = `http://localhost:${(site.address() as AddressInfo).port}`;

  // The key is made as an operator makes it: the CLI against the running product.
  const { child, output } = runNode(
    ["apps/trellis/src/main.ts", "keys", "create", "--org", "shop", "--publishable", "--origin", siteOrigin],
    { TRELLIS_URL: warehouse.url, TRELLIS_WARDEN_ADMIN_TOKEN: ADMIN_TOKEN },
  );
  const code = await exitCode(child);
  expect(code, output()).toBe(0);
  const printed = JSON.parse(output().slice(0, output().lastIndexOf("}") + 1)) as Record<string, unknown>;
  expect(printed).toMatchObject({ kind: "publishable", scopes: ["events:write"], allowed_origins: [siteOrigin] });
  publishableKey = String(printed.api_key);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  site?.close();
  await warehouse?.close();
});

async function sql(statement: string, key: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${warehouse.url}/api/v1/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ sql: statement }),
  });
  const body = (await response.json()) as { rows?: Array<Record<string, unknown>> };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.rows ?? [];
}

function postEvents(key: string, headers: Record<string, string>, query = `key=${key}`) {
  return fetch(`${warehouse.url}/api/v1/events?${query}`, {
    method: "POST",
    headers: { "content-type": "text/plain", ...headers },
    body: JSON.stringify({
      events: [{ type: "EVENT_TYPE_PAGEVIEW", url: `${siteOrigin}/direct`, visitor_id: "v-node" }],
    }),
  });
}

describe("the tracker on a web site", () => {
  it("sends the page's pageview and conversion to the warehouse, where the API answers with them", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${siteOrigin}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=G-1`);
      let rows: Array<Record<string, unknown>> = [];
      const statement = `SELECT event_type, event_id, url, source, medium, click_id, conversion_name, conversion_value,
          currency, visitor_id, session_id, user_agent, ip_anonymized, headers['accept-language'] AS language
        FROM analytics_events ORDER BY conversion_name`;
      // Ingest answers once events are stored: they are there as soon as the beacons are answered.
      while (rows.length < 2) {
        rows = await sql(statement, warehouse.keys.shop as string);
        if (rows.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(rows).toHaveLength(2);
      const [pageview, conversion] = rows;
      expect(pageview).toMatchObject({
        event_type: "pageview",
        url: `${siteOrigin}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=G-1`,
        source: "newsletter",
        medium: "email",
        click_id: "G-1",
      });
      expect(conversion).toMatchObject({
        event_type: "conversion",
        event_id: "order-77",
        conversion_name: "purchase",
        conversion_value: 42.5,
        currency: "EUR",
        click_id: "G-1",
        visitor_id: pageview?.visitor_id,
        session_id: pageview?.session_id,
      });
      // What the page cannot know is what the gateway saw: the browser's address, agent and headers.
      expect(String(pageview?.user_agent)).toContain("Chrome");
      expect(String(pageview?.ip_anonymized)).toMatch(/(^|:)127\.0\.0\.0$/);
      expect(String(pageview?.language)).not.toBe("");
      // The other organization sees none of it.
      expect(await sql("SELECT count() AS n FROM analytics_events", warehouse.keys.other as string)).toEqual([
        { n: 0 },
      ]);
    } finally {
      await context.close();
    }
  });

  it("serves /tracker.js as a small cacheable script", async () => {
    const response = await fetch(`${warehouse.url}/tracker.js`, { headers: { "accept-encoding": "gzip" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toContain("max-age=3600");
    expect(response.headers.get("content-encoding")).toBe("gzip");
    const script = await response.text();
    expect(script).toContain("/api/v1/events");
    expect(script.length).toBeLessThan(8 * 1024);
    const etag = response.headers.get("etag") ?? "";
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${warehouse.url}/tracker.js`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });
});

/** One request over HTTP/2 (h2c): its status, headers and body. */
function overHttp2(headers: http2.OutgoingHttpHeaders, body?: string) {
  const session = http2.connect(warehouse.url);
  return new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = session.request(headers);
    let answer: http2.IncomingHttpHeaders = {};
    let text = "";
    request.on("response", (h) => {
      answer = h;
    });
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      text += chunk;
    });
    request.on("end", () => resolve({ status: Number(answer[":status"]), headers: answer, body: text }));
    request.on("error", reject);
    request.end(body);
  }).finally(() => session.close());
}

describe("over HTTP/2", () => {
  it("serves the tracker and takes a browser's events on the same port", async () => {
    const script = await overHttp2({ ":method": "GET", ":path": "/tracker.js" });
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.body).toContain("sendBeacon");
    const events = await overHttp2(
      {
        ":method": "POST",
        ":path": `/api/v1/events?key=${publishableKey}`,
        origin: siteOrigin,
        "content-type": "text/plain",
      },
      JSON.stringify({ events: [{ type: "EVENT_TYPE_PAGEVIEW", url: `${siteOrigin}/h2`, visitor_id: "v-h2" }] }),
    );
    expect(events.status, events.body).toBe(200);
    expect(events.headers["access-control-allow-origin"]).toBe(siteOrigin);
    expect(JSON.parse(events.body)).toMatchObject({ accepted: 1 });
  });
});

describe("a publishable key", () => {
  it("answers a preflight for its origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`${warehouse.url}/api/v1/events?key=${publishableKey}`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const allowed = await preflight(siteOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(siteOrigin);
    expect(allowed.headers.get("access-control-allow-methods")).toBe("POST");
    const refused = await preflight("https://evil.example");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("is refused for another origin, or without one, and its events are not stored", async () => {
    const evil = await postEvents(publishableKey, { origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect(await evil.json()).toMatchObject({
      error: { code: "origin_not_allowed", message: expect.stringContaining("https://evil.example") },
    });
    const serverSide = await postEvents(publishableKey, {});
    expect(serverSide.status).toBe(403);
    expect(await serverSide.json()).toMatchObject({ error: { code: "origin_required" } });
    // The same key in a header, from another origin, is refused the same way.
    const inHeader = await postEvents(
      publishableKey,
      { origin: "https://evil.example", "x-api-key": publishableKey },
      "",
    );
    expect(inHeader.status).toBe(403);
    const stored = await sql(
      "SELECT count() AS n FROM analytics_events WHERE visitor_id = 'v-node'",
      warehouse.keys.shop as string,
    );
    expect(stored).toEqual([{ n: 0 }]);
  });

  it("cannot read analytics, over REST or RPC, nor call ingest RPCs directly", async () => {
    const traffic = await fetch(`${warehouse.url}/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-01-31`, {
      headers: { authorization: `Bearer ${publishableKey}`, origin: siteOrigin },
    });
    expect(traffic.status).toBe(403);
    expect(await traffic.json()).toMatchObject({ error: { code: "permission_denied" } });
    const sqlCall = await fetch(`${warehouse.url}/api/v1/sql`, {
      method: "POST",
      headers: { "x-api-key": publishableKey, "content-type": "application/json" },
      body: JSON.stringify({ sql: "SELECT 1" }),
    });
    expect(sqlCall.status).toBe(403);
    for (const method of [
      "trellis.warehouse.v1.AnalyticsService/GetRealtime",
      "trellis.warehouse.v1.IngestService/IngestEvents",
    ]) {
      const rpc = await fetch(`${warehouse.url}/${method}`, {
        method: "POST",
        headers: { authorization: `Bearer ${publishableKey}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(rpc.status, method).toBe(403);
      expect(await rpc.json()).toMatchObject({ code: "permission_denied" });
    }
  });

  it("is not a place for a secret key: one in the URL is refused", async () => {
    const response = await postEvents(warehouse.keys.shop as string, { origin: siteOrigin });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "secret_key_in_url" } });
  });

  it("is rate-limited per key: 429 with Retry-After beyond its burst, readable by the page", async () => {
    const accounts = createAccounts({ repository: createWardenRepository(warehouse.embedded.store) });
    const { credential } = await accounts.createApiKey({
      organizationId: "shop",
      name: "busy site",
      scopes: [],
      kind: "publishable",
      allowedOrigins: [siteOrigin],
    });
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < RATE_BURST + 4; i++) {
      const response = await postEvents(credential, { origin: siteOrigin });
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else await response.arrayBuffer();
    }
    expect(statuses.slice(0, RATE_BURST)).toEqual(Array(RATE_BURST).fill(200));
    expect(statuses).toContain(429);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited?.headers.get("access-control-allow-origin")).toBe(siteOrigin);
    expect(await limited?.json()).toMatchObject({ error: { code: "rate_limited" } });
    // Another key of the same organization has its own bucket.
    expect((await postEvents(publishableKey, { origin: siteOrigin })).status).toBe(200);
  });
});
