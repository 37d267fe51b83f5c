import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { CLOUD_RANGES, CRAWLERS, EVENT_TYPES, type GeneratedEvent } from "../../src/index.js";
import { createAddressBlock } from "../../src/ip-addresses.js";
import { SMALL_RUN, smallRun } from "./helpers.js";

const crawlerAgents = new Set(CRAWLERS.map((c) => c.userAgent));
const cloudBlocks = CLOUD_RANGES.map((r) => createAddressBlock(r.cidr));
const inCloud = (ip: string) => cloudBlocks.some((b) => b.contains(ip));
const parseUrl = (text: string): URL | null => {
  try {
    return new URL(text);
  } catch {
    return null;
  }
};

describe("generated events", () => {
  it("lie within [start, end] and come out in time order", () => {
    const { events } = smallRun();
    const start = SMALL_RUN.start.getTime();
    const end = SMALL_RUN.end.getTime();
    let previous = start;
    const problems: string[] = [];
    for (const e of events) {
      const t = e.time.getTime();
      if (t < previous) problems.push(`${e.eventId} at ${e.time.toISOString()} comes after a later event`);
      if (t > end) problems.push(`${e.eventId} at ${e.time.toISOString()} is after the end`);
      previous = t;
    }
    expect(problems).toEqual([]);
    expect(events[0]?.time.getTime()).toBeLessThan(start + 3_600_000);
    expect(events.at(-1)?.time.getTime()).toBeGreaterThan(end - 3_600_000);
  });

  it("are valid events: parsable URLs, IP addresses, known types, type-specific fields", () => {
    const { events, generator } = smallRun();
    const domains = new Map(generator.organizations.map((o) => [o.id, o.domain]));
    const problems: string[] = [];
    const check = (ok: boolean, e: GeneratedEvent, what: string) => {
      if (!ok && problems.length < 20) problems.push(`${what}: ${JSON.stringify(e)}`);
    };
    let ipv6 = 0;
    for (const e of events) {
      check(EVENT_TYPES.includes(e.type), e, "type");
      const url = parseUrl(e.url);
      check(url?.protocol === "https:" && url.hostname === domains.get(e.organizationId), e, "url on the site");
      check(e.referrer === "" || /^https?:$/.test(parseUrl(e.referrer)?.protocol ?? ""), e, "referrer");
      const version = isIP(e.ip);
      check(version === 4 || version === 6, e, "ip");
      if (version === 6) ipv6++;
      check(e.userAgent.length > 8 && e.sessionId !== "" && e.visitorId !== "", e, "user agent and ids");
      check(
        Object.keys(e.headers).every((name) => name === name.toLowerCase()),
        e,
        "lower-case header names",
      );
      if (e.type === "conversion") {
        check(/^[a-z_]+$/.test(e.conversionName) && e.value >= 0 && /^[A-Z]{3}$/.test(e.currency), e, "conversion");
      } else {
        check(e.conversionName === "" && e.value === 0 && e.currency === "", e, "no conversion fields");
      }
      check(e.type === "custom" ? /^[a-z_]+$/.test(e.name) : e.name === "", e, "custom event name");
      if (e.clickId !== "") check(e.type === "click" && e.url.includes(e.clickId), e, "click id in the URL of a click");
    }
    expect(problems).toEqual([]);
    expect(ipv6 / events.length).toBeGreaterThan(0.05);
    expect(ipv6 / events.length).toBeLessThan(0.6);
    expect(events.filter((e) => e.type === "click" && e.clickId !== "").length).toBeGreaterThan(1_000);
  });

  it("have conversions with values: mostly positive, log-normal-ish, in the organization's currency", () => {
    const { events } = smallRun();
    const conversions = events.filter((e) => e.type === "conversion");
    expect(conversions.length).toBeGreaterThan(100);
    const paid = conversions.filter((e) => e.value > 0).map((e) => e.value);
    expect(paid.length).toBeGreaterThan(conversions.length / 3);
    const sorted = [...paid].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    const mean = paid.reduce((a, b) => a + b, 0) / paid.length;
    expect(mean).toBeGreaterThan(median);
    const currencies = new Map<string, Set<string>>();
    for (const e of conversions)
      currencies.set(e.organizationId, (currencies.get(e.organizationId) ?? new Set()).add(e.currency));
    for (const set of currencies.values()) expect(set.size).toBe(1);
  });

  it("send realistic browser headers: a language, and client hints only from Chromium browsers", () => {
    const { events } = smallRun();
    const humans = events.filter((e) => !crawlerAgents.has(e.userAgent) && !inCloud(e.ip));
    expect(humans.length).toBeGreaterThan(events.length * 0.8);
    const problems: string[] = [];
    for (const e of humans) {
      const chromium = / Chrome\/\d+/.test(e.userAgent) && !e.userAgent.includes("CriOS");
      const ok =
        /^[a-z]{2}(-[A-Z0-9]{2,3})?(,|$)/.test(e.headers["accept-language"] ?? "") &&
        (chromium
          ? /^"(Windows|macOS|Linux|Android)"$/.test(e.headers["sec-ch-ua-platform"] ?? "") &&
            e.headers["sec-ch-ua-mobile"] === (e.userAgent.includes("Mobile") ? "?1" : "?0")
          : e.headers["sec-ch-ua"] === undefined);
      if (!ok && problems.length < 10) problems.push(`${e.userAgent} sent ${JSON.stringify(e.headers)}`);
    }
    expect(problems).toEqual([]);
    const device = (ua: string) =>
      /iPad|Android(?!.*Mobile)/.test(ua) ? "tablet" : /Mobile|iPhone/.test(ua) ? "mobile" : "desktop";
    expect(new Set(humans.map((e) => device(e.userAgent)))).toEqual(new Set(["desktop", "mobile", "tablet"]));
    expect(humans.some((e) => e.headers.dnt === "1")).toBe(true);
  });

  it("has crawlers without Accept-Language, from hosting networks, never converting", () => {
    const { events } = smallRun();
    const bots = events.filter((e) => crawlerAgents.has(e.userAgent));
    expect(bots.length).toBeGreaterThan(events.length * 0.02);
    expect(bots.length).toBeLessThan(events.length * 0.15);
    const names = new Set(bots.map((e) => CRAWLERS.find((c) => c.userAgent === e.userAgent)?.name));
    for (const name of ["Googlebot", "bingbot", "AhrefsBot", "curl", "python-requests"]) expect(names).toContain(name);
    const problems = bots
      .filter((e) => {
        const crawler = CRAWLERS.find((c) => c.userAgent === e.userAgent);
        const fromItsNetwork = crawler?.blocks.some((b) => b.contains(e.ip)) ?? false;
        return "accept-language" in e.headers || e.type !== "pageview" || e.referrer !== "" || !fromItsNetwork;
      })
      .map((e) => JSON.stringify(e));
    expect(problems).toEqual([]);
  });

  it("keeps humans on residential addresses: hosting networks send only crawler and fraud traffic", () => {
    const { events, truth } = smallRun();
    const fraudIps = new Set(truth.organizations.flatMap((o) => o.fraudBursts.flatMap((b) => b.ips)));
    const misplaced = events.filter((e) => !crawlerAgents.has(e.userAgent) && inCloud(e.ip) && !fraudIps.has(e.ip));
    expect(misplaced).toEqual([]);
    expect(events.filter((e) => fraudIps.has(e.ip)).length).toBeGreaterThan(0);
  });

  it("tags paid landings with utm parameters and click ids, and leaves direct traffic bare", () => {
    const { events } = smallRun();
    const urls = events.map((e) => new URL(e.url));
    const has = (p: string) => urls.some((u) => u.searchParams.has(p));
    for (const p of ["utm_source", "utm_medium", "utm_campaign", "gclid", "msclkid", "fbclid"])
      expect(has(p), p).toBe(true);
    const mediums = new Set(urls.map((u) => u.searchParams.get("utm_medium")).filter((m) => m !== null));
    for (const m of ["cpc", "email", "paid_social"]) expect(mediums).toContain(m);
    const referrerHosts = new Set(events.filter((e) => e.referrer !== "").map((e) => new URL(e.referrer).hostname));
    for (const host of ["www.bing.com", "t.co", "duckduckgo.com"]) expect(referrerHosts).toContain(host);
    expect([...referrerHosts].some((h) => h.startsWith("www.google."))).toBe(true);
  });
});
