import { describe, expect, it } from "vitest";
import {
  CHANNELS,
  type Channel,
  CRAWLERS,
  classifyLanding,
  createGenerator,
  type GeneratedEvent,
  type OrganizationTruth,
} from "../../src/index.js";
import { groupBy, SMALL_RUN, smallRun } from "./helpers.js";

const crawlerNames = new Map(CRAWLERS.map((c) => [c.userAgent, c.name]));
const minor = (value: number) => Math.round(value * 100);

function truthOf(id: string): OrganizationTruth {
  const found = smallRun().truth.organizations.find((o) => o.organizationId === id);
  if (!found) throw new Error(`no ground truth for ${id}`);
  return found;
}

describe("ground truth", () => {
  it("is only available once a run was consumed to the end", () => {
    const generator = createGenerator({ ...SMALL_RUN, totalEvents: 5_000 });
    expect(() => generator.groundTruth()).toThrow(/consumed to the end/);
    for (const _batch of generator.batches(1_000)) break;
    expect(() => generator.groundTruth()).toThrow(/consumed to the end/);
    for (const _batch of generator.batches(1_000));
    expect(generator.groundTruth().events).toBeGreaterThan(4_000);
  });

  it("is plain JSON", () => {
    const { truth } = smallRun();
    expect(JSON.parse(JSON.stringify(truth))).toEqual(truth);
    expect(truth.start).toBe(SMALL_RUN.start.toISOString());
    expect(truth.end).toBe(SMALL_RUN.end.toISOString());
    expect(truth.organizations).toHaveLength(SMALL_RUN.organizations);
  });

  it("counts every organization's events, types, conversions and revenue as emitted", () => {
    const { events, truth } = smallRun();
    expect(truth.events).toBe(events.length);
    const byOrg = groupBy(events, (e) => e.organizationId);
    for (const org of truth.organizations) {
      const mine = byOrg.get(org.organizationId) ?? [];
      expect(org.events).toBe(mine.length);
      const types = { click: 0, pageview: 0, conversion: 0, custom: 0 };
      let revenue = 0;
      for (const e of mine) {
        types[e.type]++;
        if (e.type === "conversion") revenue += minor(e.value);
      }
      expect(org.eventsByType).toEqual(types);
      expect(org.conversions).toBe(types.conversion);
      expect(minor(org.revenue)).toBe(revenue);
      const bots = mine.filter((e) => crawlerNames.has(e.userAgent));
      expect(org.botEvents).toBe(bots.length);
      const byCrawler: Record<string, number> = {};
      for (const e of bots)
        byCrawler[crawlerNames.get(e.userAgent) as string] =
          (byCrawler[crawlerNames.get(e.userAgent) as string] ?? 0) + 1;
      expect(org.botEventsByCrawler).toEqual(byCrawler);
    }
    expect(truth.organizations[0]?.conversions).toBeGreaterThan(50);
  });

  it("records fraud bursts whose addresses, windows and counts match the emitted clicks", () => {
    const { events, truth } = smallRun();
    const bursts = truth.organizations.flatMap((o) => o.fraudBursts);
    expect(bursts.length).toBeGreaterThan(0);
    for (const burst of bursts) {
      const ips = new Set(burst.ips);
      const clicks = events.filter((e) => ips.has(e.ip));
      expect(clicks).toHaveLength(burst.events);
      expect(burst.events).toBeGreaterThanOrEqual(10);
      const start = Date.parse(burst.start);
      const end = Date.parse(burst.end);
      expect(end - start).toBeLessThanOrEqual(90 * 60_000 + 1);
      const byIp: Record<string, number> = Object.fromEntries(burst.ips.map((ip) => [ip, 0]));
      const odd = clicks.filter(
        (e) =>
          e.organizationId !== burst.organizationId ||
          e.type !== "click" ||
          e.clickId === "" ||
          new URL(e.url).searchParams.get(burst.clickIdParameter) !== e.clickId ||
          e.userAgent !== burst.userAgent ||
          e.time.getTime() < start ||
          e.time.getTime() > end,
      );
      expect(odd).toEqual([]);
      for (const e of clicks) byIp[e.ip] = (byIp[e.ip] ?? 0) + 1;
      expect(byIp).toEqual(burst.eventsByIp);
      // Many clicks a minute from each address: the signature of the burst.
      expect(burst.events / Math.max(1, (end - start) / 60_000) / burst.ips.length).toBeGreaterThan(3);
    }
    const fraudTotal = truth.organizations.reduce((sum, o) => sum + o.fraudEvents, 0);
    expect(fraudTotal).toBe(bursts.reduce((sum, b) => sum + b.events, 0));
  });

  it("records hidden patterns whose sessions, events, conversions and revenue match the traffic", () => {
    const { events, truth } = smallRun();
    const patterns = truth.organizations.flatMap((o) => o.patterns);
    expect(patterns.length).toBeGreaterThanOrEqual(2);
    expect(truth.organizations[0]?.patterns.length).toBeGreaterThanOrEqual(2);
    const sessions = groupBy(events, (e) => e.sessionId);
    for (const pattern of patterns) {
      let matched = 0;
      let patternEvents = 0;
      let conversions = 0;
      let revenue = 0;
      let onDevice = 0;
      for (const session of sessions.values()) {
        const landing = session[0] as GeneratedEvent;
        if (landing.organizationId !== pattern.organizationId) continue;
        const url = new URL(landing.url);
        const referrerHost = landing.referrer === "" ? "" : new URL(landing.referrer).hostname;
        if (url.pathname !== pattern.landingPath || referrerHost !== pattern.referrerHost) continue;
        if (url.search !== (pattern.queryParameter === "" ? "" : `?${pattern.queryParameter}`)) continue;
        matched++;
        patternEvents += session.length;
        for (const e of session) {
          if (e.type === "conversion") {
            conversions++;
            revenue += minor(e.value);
          }
        }
        expect(landing.time.getTime()).toBeGreaterThanOrEqual(Date.parse(pattern.start));
        expect(landing.time.getTime()).toBeLessThanOrEqual(Date.parse(pattern.end));
        expect(url.searchParams.has("utm_source") || landing.clickId !== "").toBe(false);
        expect(classifyLanding(landing.url, landing.referrer)).toBe(pattern.channel);
        const mobile = /Mobile|iPhone/.test(landing.userAgent) && !landing.userAgent.includes("iPad");
        const tablet = /iPad|Android(?!.*Mobile)/.test(landing.userAgent);
        const device = tablet ? "tablet" : mobile ? "mobile" : "desktop";
        if (device === pattern.device) onDevice++;
      }
      expect(matched, pattern.description).toBe(pattern.sessions);
      expect(pattern.sessions).toBe(pattern.visitors);
      expect(patternEvents).toBe(pattern.events);
      expect(conversions).toBe(pattern.conversions);
      expect(revenue).toBe(minor(pattern.revenue));
      expect(pattern.sessions).toBeGreaterThan(20);
      // Concentrated on one kind of device (the country shows only through geo lookups of the IPs).
      expect(onDevice / matched).toBeGreaterThan(0.45);
    }
  });

  it("makes patterns convert better than their organization's other first visits", () => {
    const { truth } = smallRun();
    const patterns = truth.organizations.flatMap((o) => o.patterns);
    const pooled =
      patterns.reduce((sum, p) => sum + p.conversions, 0) / patterns.reduce((sum, p) => sum + p.sessions, 0);
    const organizations = truth.organizations.filter((o) => o.patterns.length > 0);
    const baseline =
      organizations.reduce((sum, o) => sum + o.conversions, 0) / organizations.reduce((sum, o) => sum + o.sessions, 0);
    expect(pooled).toBeGreaterThan(1.3 * baseline);
  });

  it("counts sessions and first-touch, last-touch and last-non-direct conversions per channel as the events show", () => {
    const { events } = smallRun();
    const fraudIps = new Set(smallRun().truth.organizations.flatMap((o) => o.fraudBursts.flatMap((b) => b.ips)));
    const humans = events.filter((e) => !crawlerNames.has(e.userAgent) && !fraudIps.has(e.ip));
    const expected = new Map<
      string,
      Record<Channel, { s: number; f: number; l: number; n: number; fr: number; lr: number; nr: number }>
    >();
    const journeys = new Map<
      string,
      { first: Channel; lastNonDirect: Channel | null; session: string; channel: Channel }
    >();
    for (const e of humans) {
      let table = expected.get(e.organizationId);
      if (!table) {
        table = Object.fromEntries(CHANNELS.map((c) => [c, { s: 0, f: 0, l: 0, n: 0, fr: 0, lr: 0, nr: 0 }])) as Record<
          Channel,
          { s: number; f: number; l: number; n: number; fr: number; lr: number; nr: number }
        >;
        expected.set(e.organizationId, table);
      }
      let journey = journeys.get(e.visitorId);
      if (!journey || journey.session !== e.sessionId) {
        const channel = classifyLanding(e.url, e.referrer);
        expect(channel).not.toBeNull();
        const c = channel as Channel;
        table[c].s++;
        journey = journey
          ? { ...journey, session: e.sessionId, channel: c, lastNonDirect: c === "direct" ? journey.lastNonDirect : c }
          : { first: c, lastNonDirect: c === "direct" ? null : c, session: e.sessionId, channel: c };
        journeys.set(e.visitorId, journey);
      }
      if (e.type === "conversion") {
        const value = minor(e.value);
        table[journey.first].f++;
        table[journey.first].fr += value;
        table[journey.channel].l++;
        table[journey.channel].lr += value;
        const nonDirect = journey.lastNonDirect ?? "direct";
        table[nonDirect].n++;
        table[nonDirect].nr += value;
      }
    }
    let firstDiffers = false;
    for (const [organizationId, table] of expected) {
      const truth = truthOf(organizationId);
      let sessions = 0;
      for (const channel of CHANNELS) {
        const row = truth.channels[channel];
        const want = table[channel];
        expect(row.sessions, `${organizationId} ${channel}`).toBe(want.s);
        expect(row.firstTouchConversions).toBe(want.f);
        expect(row.lastTouchConversions).toBe(want.l);
        expect(row.lastNonDirectConversions).toBe(want.n);
        expect(minor(row.firstTouchRevenue)).toBe(want.fr);
        expect(minor(row.lastTouchRevenue)).toBe(want.lr);
        expect(minor(row.lastNonDirectRevenue)).toBe(want.nr);
        sessions += want.s;
        if (want.f !== want.l) firstDiffers = true;
      }
      expect(truth.sessions).toBe(sessions);
    }
    expect(firstDiffers).toBe(true);
  });

  it("makes first-touch and last-touch attribution disagree on which channels matter", () => {
    const { truth } = smallRun();
    const org = truth.organizations[0] as OrganizationTruth;
    const share = (c: Channel, key: "firstTouchConversions" | "lastTouchConversions") =>
      org.channels[c][key] / org.conversions;
    const awareness: Channel[] = ["organic_social", "paid_social", "display"];
    const closing: Channel[] = ["direct", "email"];
    const sum = (cs: Channel[], key: "firstTouchConversions" | "lastTouchConversions") =>
      cs.reduce((s, c) => s + share(c, key), 0);
    expect(sum(awareness, "firstTouchConversions")).toBeGreaterThan(sum(awareness, "lastTouchConversions"));
    expect(sum(closing, "lastTouchConversions")).toBeGreaterThan(sum(closing, "firstTouchConversions"));
  });
});
