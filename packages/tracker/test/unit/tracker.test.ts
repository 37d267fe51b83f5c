import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eventFromJson } from "@trellis/platform";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium } from "../../../../test/helpers/headless-chromium.js";
import { trackerScriptPath } from "../../src/index.js";

/** What the tracker posted: the request's query, content type and events. */
interface Sent {
  key: string | null;
  contentType: string;
  events: Array<Record<string, unknown> & { properties: Record<string, string> }>;
}

const KEY = "trkp_abcdefghijkl_0123456789abcdefghijklmnopqrstuvwxyz0123";
let script: Buffer;
let server: http.Server;
let origin = "";
let browser: Browser;
let context: BrowserContext;
let sent: Sent[] = [];
const waiting: Array<() => void> = [];

/** A page of the test site: the tracker with `attributes`, after `head` (the queueing stub, say). */
function page(attributes: string, head = "", body = ""): string {
  return `<!doctype html><html><head><title>t</title>${head}
<script defer src="/tracker.js" data-key="${KEY}" ${attributes}></script></head>
<body><a id="out" href="https://elsewhere.example/offer">out</a><a id="in" href="/inside">in</a>${body}</body></html>`;
}

const pages = new Map<string, string>();

beforeAll(async () => {
  // The script as `npm test` builds it (nothing is done when it is current).
  execFileSync(process.execPath, [new URL("../../build.mjs", import.meta.url).pathname]);
  script = readFileSync(trackerScriptPath);
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://site");
    if (url.pathname === "/tracker.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(script);
      return;
    }
    if (url.pathname === "/api/v1/events" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        sent.push({
          key: url.searchParams.get("key"),
          contentType: String(req.headers["content-type"]),
          ...(JSON.parse(body) as { events: Sent["events"] }),
        });
        for (const wake of waiting.splice(0)) wake();
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end(pages.get(url.pathname) ?? page(""));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

beforeEach(async () => {
  await context?.close();
  context = await browser.newContext();
  sent = [];
  pages.clear();
});

const events = () => sent.flatMap((s) => s.events);

/** Waits until at least `count` events have arrived (the test's time-out bounds the wait). */
async function received(count: number): Promise<Sent["events"]> {
  while (events().length < count) await new Promise<void>((resolve) => waiting.push(resolve));
  return events();
}

async function open(path: string, setUp?: (page: Page) => Promise<void>): Promise<Page> {
  const tab = await context.newPage();
  await setUp?.(tab);
  await tab.goto(`${origin}${path}`);
  return tab;
}

describe("the tracker", () => {
  it("sends a pageview with visitor and session ids, as text/plain JSON the events route accepts", async () => {
    await open("/landing");
    const [pageview] = await received(1);
    expect(sent[0]).toMatchObject({ key: KEY, contentType: expect.stringMatching(/^text\/plain/) });
    expect(pageview).toMatchObject({ type: "EVENT_TYPE_PAGEVIEW", url: `${origin}/landing`, properties: {} });
    expect(pageview?.visitor_id).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(pageview?.session_id).toMatch(/^[0-9a-f-]{32,36}$/);
    // The time is the one ingest stamps on arrival: a browser's clock is not trusted.
    expect(pageview).not.toHaveProperty("time");
    // Every event is one the gateway's events route reads (unknown fields would be refused).
    for (const event of events()) expect(() => eventFromJson(event)).not.toThrow();
  });

  it("keeps UTMs and click ids of the landing URL for the session, and counts history navigations", async () => {
    const tab = await open("/landing?utm_source=newsletter&utm_medium=email&utm_campaign=winter&gclid=G-123&x=1");
    const [landing] = await received(1);
    expect(landing).toMatchObject({ click_id: "G-123", properties: { utm_source: "newsletter", gclid: "G-123" } });

    // Scripts given as text run in the page (this file is typed without the DOM).
    await tab.evaluate(`history.pushState({}, "", "/products/42")`);
    await tab.evaluate(`history.replaceState({}, "", "/products/42")`); // same page: no pageview
    await tab.evaluate(`history.pushState({}, "", "/cart")`);
    await tab.evaluate("history.back()");
    const all = await received(4);
    expect(all.map((e) => new URL(String(e.url)).pathname)).toEqual([
      "/landing",
      "/products/42",
      "/cart",
      "/products/42",
    ]);
    expect(all[1]).toMatchObject({
      type: "EVENT_TYPE_PAGEVIEW",
      referrer: String(landing?.url),
      click_id: "G-123",
      session_id: landing?.session_id,
      visitor_id: landing?.visitor_id,
      properties: { utm_source: "newsletter", utm_medium: "email", utm_campaign: "winter", gclid: "G-123" },
    });
    // Only attribution parameters are kept, not every parameter of the landing URL.
    expect(all[1]?.properties).not.toHaveProperty("x");

    // A new page load in the same session still carries them.
    await tab.goto(`${origin}/checkout`);
    const [, , , , next] = await received(5);
    expect(next).toMatchObject({ session_id: landing?.session_id, properties: { utm_campaign: "winter" } });
  });

  it("sends conversions with value and currency, also those queued before the script loaded", async () => {
    const stub = `<script>window.trellis=window.trellis||function(){(trellis.q=trellis.q||[]).push(arguments)};
      trellis("conversion",{name:"signup"});</script>`;
    pages.set("/thanks", page("", stub));
    const tab = await open("/thanks");
    await received(2);
    await tab.evaluate(`
      trellis("conversion", {
        name: "purchase",
        value: "49.90",
        currency: "eur",
        id: "order-1001",
        properties: { plan: "pro", seats: 3 },
      });
      trellis("event", "video_play", { title: "intro" });
    `);
    const all = await received(4);
    expect(all.map((e) => e.type)).toEqual([
      "EVENT_TYPE_PAGEVIEW",
      "EVENT_TYPE_CONVERSION",
      "EVENT_TYPE_CONVERSION",
      "EVENT_TYPE_CUSTOM",
    ]);
    expect(all[1]).toMatchObject({ conversion_name: "signup" });
    expect(all[2]).toMatchObject({
      type: "EVENT_TYPE_CONVERSION",
      conversion_name: "purchase",
      value: 49.9,
      currency: "EUR",
      event_id: "order-1001",
      properties: { plan: "pro", seats: "3" },
    });
    expect(all[3]).toMatchObject({ name: "video_play", properties: { title: "intro" } });
    for (const event of all) expect(() => eventFromJson(event)).not.toThrow();
  });

  it("reports clicks on links to other hosts, not on links inside the site", async () => {
    const tab = await open("/article");
    await received(1);
    // Clicks without leaving the page: the event is what matters here.
    await tab.evaluate(
      `for (const a of document.querySelectorAll("a")) a.addEventListener("click", (e) => e.preventDefault())`,
    );
    await tab.click("#in");
    await tab.click("#out");
    const all = await received(2);
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({
      type: "EVENT_TYPE_CUSTOM",
      name: "outbound_click",
      url: `${origin}/article`,
      properties: { target_url: "https://elsewhere.example/offer" },
    });
  });

  it("keeps the visitor across visits, and starts a new session after 30 minutes without events", async () => {
    const tab = await open("/one");
    const [first] = await received(1);
    await tab.goto(`${origin}/two`);
    const [, second] = await received(2);
    expect(second).toMatchObject({ visitor_id: first?.visitor_id, session_id: first?.session_id });

    await tab.evaluate(`sessionStorage.setItem("trellis_last", String(Date.now() - 31 * 60 * 1000))`);
    await tab.goto(`${origin}/three`);
    const [, , third] = await received(3);
    expect(third?.visitor_id).toBe(first?.visitor_id);
    expect(third?.session_id).not.toBe(first?.session_id);

    // Another browser profile is another visitor.
    const other = await browser.newContext();
    try {
      await (await other.newPage()).goto(`${origin}/one`);
      const [, , , fourth] = await received(4);
      expect(fourth?.visitor_id).not.toBe(first?.visitor_id);
    } finally {
      await other.close();
    }
  });

  it("still tracks when storage is refused, with ids for the page", async () => {
    await open("/private", async (tab) => {
      await tab.addInitScript(`
        const refuse = () => { throw new DOMException("denied", "SecurityError"); };
        Object.defineProperty(window, "localStorage", { get: refuse });
        Object.defineProperty(window, "sessionStorage", { get: refuse });`);
    });
    const [pageview] = await received(1);
    expect(pageview?.visitor_id).toMatch(/^[0-9a-f-]{32,36}$/);
  });

  it("with data-respect-dnt, sends nothing for Do-Not-Track or Global Privacy Control; without it, tracks", async () => {
    pages.set("/dnt", page('data-respect-dnt="true"'));
    const setPrivacy = (signal: "dnt" | "gpc") => async (tab: Page) => {
      await tab.addInitScript(
        signal === "dnt"
          ? `Object.defineProperty(Navigator.prototype, "doNotTrack", { get: () => "1" })`
          : `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true })`,
      );
    };
    for (const signal of ["dnt", "gpc"] as const) {
      const tab = await open("/dnt", setPrivacy(signal));
      await tab.evaluate(`trellis("conversion", { value: 1 })`);
      await tab.evaluate(`document.dispatchEvent(new Event("visibilitychange"))`);
      await tab.close();
    }
    // The same browser on a page that does not ask for it is tracked: the signal was seen, not ignored.
    await open("/plain", setPrivacy("gpc"));
    const all = await received(1);
    expect(all.map((e) => new URL(String(e.url)).pathname)).toEqual(["/plain"]);
  });
});
