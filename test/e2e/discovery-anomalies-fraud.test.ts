import { create } from "@bufbuild/protobuf";
import { DateRangeSchema } from "@trellis/contracts";
import { findDimension, findMetric, resolveRange } from "@trellis/traffic-rules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSeries } from "../../services/discovery/src/anomalies/compile.js";
import {
  compileAutomationAgents,
  compileBots,
  listableAgents,
  MAX_AUTOMATION_AGENTS,
} from "../../services/discovery/src/fraud/compile.js";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;
const traffic: EventSpec[] = [];
let n = 0;
function event(org: string, time: number, type: EventSpec["type"], columns: EventSpec["columns"]) {
  const id = `${org}-e${n++}`;
  traffic.push({ organizationId: org, time: new Date(time), type, visitorId: id, sessionId: id, columns });
}
const at = (date: string, minute = 0) => Date.parse(`${date}T12:00:00Z`) + minute * 60_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

// Anomalies: eight steady weeks (2024-05-06 … 06-30) of 100 sessions a day from the US and 20
// from Germany; on 06-20 Germany brings 80 more (a spike), on 06-25 the US brings none (a drop);
// on 06-22 a crawler sends 200 more (left out unless bots are asked for).
for (let t = Date.parse("2024-05-06T00:00:00Z"); t <= Date.parse("2024-06-30T00:00:00Z"); t += 86_400_000) {
  const date = iso(t);
  const us = date === "2024-06-25" ? 0 : 100;
  const de = date === "2024-06-20" ? 100 : 20;
  for (let i = 0; i < us; i++) event("acme", at(date, i), "pageview", { country: "US", channel: "direct" });
  for (let i = 0; i < de; i++) event("acme", at(date, i), "pageview", { country: "DE", channel: "direct" });
  if (date === "2024-06-22")
    for (let i = 0; i < 200; i++)
      event("acme", at(date, i), "pageview", { is_bot: true, bot_name: "Googlebot", country: "US" });
  // globex: the same steady US traffic, with a spike of its own on 06-27.
  for (let i = 0; i < (date === "2024-06-27" ? 300 : 100); i++)
    event("globex", at(date, i), "pageview", { country: "US" });
}

// initech: 100 sessions every day of the eight weeks up to yesterday, but 10 the day before
// yesterday (a drop); today's 10 so far are a day in progress, not a drop.
const today = iso(Date.now());
const initechDays = Array.from({ length: 57 }, (_, i) => iso(Date.parse(`${today}T00:00:00Z`) - (56 - i) * 86_400_000));
for (const date of initechDays) {
  const count = date === initechDays[54] || date === today ? 10 : 100;
  for (let i = 0; i < count; i++)
    event("initech", Date.parse(`${date}T00:00:00Z`) + i * 1_000, "pageview", { country: "US" });
}

// Fraud (2024-07-01): one data-centre address clicking 25 times; a flood of 60 clicks from six
// addresses of one hosting network in ten minutes; 40 clicks of people, three click ids of which
// were each used twice from two addresses; crawlers of several kinds, and a headless browser no
// crawler list knows.
const fraudDay = "2024-07-01";
const click = (ip: number, minute: number, columns: EventSpec["columns"] = {}) =>
  event("acme", at(fraudDay, minute), "click", { ip_hash: String(ip), ...columns });
for (let i = 0; i < 25; i++)
  click(111, i / 10, {
    source: "google",
    asn: 16509,
    as_organization: "AMAZON-02",
    fraud_flags: ["datacenter_network"],
    fraud_score: 30,
  });
for (let ip = 0; ip < 6; ip++)
  for (let i = 0; i < 10; i++)
    click(200 + ip, 60 + ip + i / 2, { source: "google", asn: 14061, as_organization: "DIGITALOCEAN-ASN" });
for (let i = 0; i < 40; i++)
  click(1000 + i, 120 + i * 5, {
    source: "bing",
    click_id_type: "msclkid",
    click_id: i < 6 ? `reused-${i >> 1}` : `c${i}`,
  });
// One click id on three clicks from one address: a reload, not a reuse.
for (let i = 0; i < 3; i++) click(3000, 130 + i, { source: "bing", click_id_type: "msclkid", click_id: "one-address" });
for (let i = 0; i < 2; i++)
  click(2000 + i, 400 + i, { source: "bing", fraud_flags: ["impossible_timing"], fraud_score: 25 });
const crawl = (count: number, columns: EventSpec["columns"]) => {
  for (let i = 0; i < count; i++) event("acme", at(fraudDay, 500 + i), "pageview", { ip_hash: "9", ...columns });
};
crawl(5, { is_bot: true, bot_name: "Googlebot", user_agent: "Mozilla/5.0 (compatible; Googlebot/2.1)" });
crawl(4, { is_bot: true, bot_name: "GPTBot", user_agent: "Mozilla/5.0 (compatible; GPTBot/1.1)" });
crawl(3, { is_bot: true, bot_name: "AhrefsBot", user_agent: "Mozilla/5.0 (compatible; AhrefsBot/7.0)" });
crawl(2, { user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0.0.0 Safari/537.36" });
// globex: an address clicking 30 times (acme must not see it).
for (let i = 0; i < 30; i++) event("globex", at(fraudDay, i), "click", { ip_hash: "777", source: "google" });

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex", "initech"] });
  await warehouse.insertEvents(traffic);
});

afterAll(async () => {
  await warehouse?.close();
});

interface Json {
  [key: string]: unknown;
}

async function get(path: string, key = warehouse.keys.acme) {
  const response = await fetch(`${warehouse.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Json };
}

const lastTwoWeeks = "start_date=2024-06-17&end_date=2024-06-30";

describe("anomalies", () => {
  it("finds the planted spike and drop against the same weekday's median, and names what changed", async () => {
    const { status, body } = await get(
      `/api/v1/discovery/anomalies?${lastTwoWeeks}&metric=sessions&group_by=day&dimensions=country`,
    );
    expect(status).toBe(200);
    expect(body.anomalies).toEqual([
      {
        bucket: "2024-06-20",
        dimension: "",
        value: "",
        metric: "sessions",
        observed: 200,
        expected: 120,
        score: 7.3, // counts: 80 / √120; ratios: (ln 201 − ln 121) · √120 = 5.56
        direction: "spike",
        contributors: [
          expect.objectContaining({ dimension: "country", value: "DE", observed: 100, expected: 20, contribution: 1 }),
        ],
      },
      {
        bucket: "2024-06-20",
        dimension: "country",
        value: "DE",
        metric: "sessions",
        observed: 100,
        expected: 20,
        score: 17.89, // counts: 80 / √20; ratios: (ln 101 − ln 21) · √20 = 7.02
        direction: "spike",
        contributors: [],
      },
      {
        bucket: "2024-06-25",
        dimension: "",
        value: "",
        metric: "sessions",
        observed: 20,
        expected: 120,
        // Counts: −100 / √120 = −9.13; ratios: (ln 21 − ln 121) · √120 = −19.18, further out.
        score: -19.18,
        direction: "drop",
        contributors: [
          expect.objectContaining({ dimension: "country", value: "US", observed: 0, expected: 100, contribution: 1 }),
        ],
      },
      {
        bucket: "2024-06-25",
        dimension: "country",
        value: "US",
        metric: "sessions",
        observed: 0,
        expected: 100,
        // Counts: −100 / √100 = −10; ratios: (ln 1 − ln 101) · √100 = −46.15.
        score: -46.15,
        direction: "drop",
        contributors: [],
      },
    ]);
  });

  it("leaves crawlers out unless asked, and sees only the organization's own traffic", async () => {
    const withBots = await get(`/api/v1/discovery/anomalies?${lastTwoWeeks}&include_bots=true`);
    expect((withBots.body.anomalies as Array<{ bucket: string }>).map((a) => a.bucket)).toEqual([
      "2024-06-20",
      "2024-06-22",
      "2024-06-25",
    ]);
    const globex = await get(`/api/v1/discovery/anomalies?${lastTwoWeeks}`, warehouse.keys.globex);
    expect(globex.body.anomalies).toEqual([
      expect.objectContaining({ bucket: "2024-06-27", observed: 300, expected: 100, direction: "spike" }),
    ]);
  });

  it("judges complete buckets only: the day in progress is no drop", async () => {
    const { status, body } = await get(
      `/api/v1/discovery/anomalies?start_date=${initechDays[43]}&end_date=${today}&group_by=day`,
      warehouse.keys.initech,
    );
    expect(status).toBe(200);
    const drops = [
      expect.objectContaining({ bucket: initechDays[54], observed: 10, expected: 100, direction: "drop" }),
    ];
    // Past midnight UTC since the traffic was made, "today" is complete, and its 10 a drop too.
    if (iso(Date.now()) !== today)
      drops.push(expect.objectContaining({ bucket: today, observed: 10, expected: 100, direction: "drop" }));
    expect(body.anomalies).toEqual(drops);
  });

  it("reads the series from a rollup where one answers exactly, the same number for number as raw events", async () => {
    const store = warehouse.embedded.store;
    const dimensions = (names: string[]) => names.flatMap((n) => findDimension(n) ?? []);
    const cases = [
      { grain: "day", zone: "UTC", dims: ["country", "channel"], table: "events_daily" },
      { grain: "hour", zone: "UTC", dims: ["country"], table: "events_hourly" },
      { grain: "day", zone: "America/New_York", dims: ["country", "device_type"], table: "events_hourly" },
      { grain: "hour", zone: "Europe/Berlin", dims: ["country"], table: "events_hourly" },
      // A half-hour zone, and a dimension no rollup keeps: raw events.
      { grain: "day", zone: "Asia/Kolkata", dims: ["country"], table: "analytics_events" },
      { grain: "day", zone: "UTC", dims: ["country", "browser"], table: "analytics_events" },
    ] as const;
    for (const c of cases) {
      const range = resolveRange(
        create(DateRangeSchema, { startDate: "2024-06-17", endDate: "2024-06-30", timeZone: c.zone }),
        "range",
      );
      const series = async (preference: "auto" | "raw") => {
        const metric = findMetric("sessions");
        if (!metric) throw new Error("no sessions metric");
        const statement = compileSeries(
          metric,
          dimensions([...c.dims]),
          c.grain,
          range,
          c.grain === "hour",
          warehouse.database,
          "acme",
          preference,
        );
        const { rows } = await store.query<Record<string, unknown>>({
          name: "test.series",
          sql: `${statement.sql} SETTINGS group_by_use_nulls = 1`,
          params: statement.params,
          organizationId: "acme",
        });
        const lines = rows.map((r) => JSON.stringify(Object.entries(r).sort())).sort();
        return { table: statement.table, lines };
      };
      const chosen = await series("auto");
      const raw = await series("raw");
      expect(chosen.table, `${c.grain} in ${c.zone} by ${c.dims}`).toBe(c.table);
      expect(raw.table).toBe("analytics_events");
      expect(chosen.lines.length).toBeGreaterThan(14);
      expect(chosen.lines, `${c.grain} in ${c.zone} by ${c.dims}`).toEqual(raw.lines);
    }
    const answer = await get(`/api/v1/discovery/anomalies?${lastTwoWeeks}&group_by=day`);
    expect((answer.body.meta as Json).table).toBe("events_daily");
  });

  it("answers a request asked again from the cache, with its run, until new data arrives", async () => {
    const path = `/api/v1/discovery/anomalies?${lastTwoWeeks}&metric=sessions&group_by=day&dimensions=country`;
    const runs = async () => ((await get("/api/v1/discovery/runs?kind=anomalies")).body.runs as unknown[]).length;
    const stored = await runs();
    const first = await get(path); // the first test asked the same
    const second = await get(path);
    expect((first.body.meta as Json).source).toBe("ANSWER_SOURCE_CACHE_L1");
    expect(second.body.run_id).toBe(first.body.run_id);
    expect(second.body.anomalies).toEqual(first.body.anomalies);
    expect(await runs()).toBe(stored); // a dashboard asking on every page load stores no run per view

    // A new session on 06-26 through ingest: the answer is computed again, and a run stored.
    const sent = await fetch(`${warehouse.url}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/json" },
      body: JSON.stringify([
        {
          event_id: "late-1",
          type: "EVENT_TYPE_PAGEVIEW",
          time: "2024-06-26T15:00:00Z",
          url: "https://acme.example/",
          ip: "81.2.69.142",
          visitor_id: "late",
          session_id: "late",
        },
      ]),
    });
    expect(sent.status).toBe(200);
    const third = await get(path);
    expect((third.body.meta as Json).source).toBe("ANSWER_SOURCE_STORE");
    expect(third.body.run_id).not.toBe(first.body.run_id);
    expect(await runs()).toBe(stored + 1);
  });

  it("answers bad input with 400 naming the field", async () => {
    const cases: Array<[string, string]> = [
      [`/api/v1/discovery/anomalies?${lastTwoWeeks}&metric=happiness`, "metric"],
      [`/api/v1/discovery/anomalies?${lastTwoWeeks}&dimensions=shoe_size`, "dimensions[0]"],
      [`/api/v1/discovery/anomalies?${lastTwoWeeks}&group_by=month`, "granularity"],
      [`/api/v1/discovery/anomalies?start_date=2024-06-30&end_date=2024-06-01`, "range.end_date"],
      [`/api/v1/discovery/anomalies?${lastTwoWeeks}&threshold=0.5`, "threshold"],
      [`/api/v1/discovery/fraud?start_date=2024-07-01&end_date=2024-07-01&limit=501`, "limit"],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await get(path);
      expect(status, path).toBe(400);
      expect((body.error as { violations: Array<{ field: string }> }).violations[0]?.field, path).toBe(field);
    }
  });
});

describe("fraud patterns", () => {
  it("finds the same automated clients whether their agents are listed or matched on every event", async () => {
    const store = warehouse.embedded.store;
    const range = resolveRange(
      create(DateRangeSchema, { startDate: fraudDay, endDate: fraudDay, timeZone: "UTC" }),
      "range",
    );
    const thresholds = { clicksPerIp: 20, floodClicks: 50, minEvents: 10, limit: 50 };
    const query = async <T>(statement: { sql: string; params: Record<string, unknown> }) =>
      (
        await store.query<T>({
          name: "test.bots",
          sql: statement.sql,
          params: statement.params,
          organizationId: "acme",
        })
      ).rows;
    const [found] = await query<{ agents: string[]; count: number; bytes: number }>(
      compileAutomationAgents(range, warehouse.database, "acme"),
    );
    expect(found?.agents).toEqual([expect.stringContaining("HeadlessChrome")]);
    const listed = listableAgents(found);
    expect(listed).toHaveLength(1);
    const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
    const byList = await query(compileBots(range, thresholds, warehouse.database, "acme", listed));
    const byPattern = await query(compileBots(range, thresholds, warehouse.database, "acme", undefined));
    expect(sorted(byList)).toEqual(sorted(byPattern));
    expect(byList).toContainEqual(
      expect.objectContaining({ sample_user_agent: expect.stringContaining("HeadlessChrome") }),
    );
    // Too many agents to list (or too many bytes): the pattern is matched on every event instead.
    expect(listableAgents({ agents: [], count: MAX_AUTOMATION_AGENTS + 1, bytes: 10 })).toBeUndefined();
    expect(listableAgents({ agents: ["a"], count: 1, bytes: 65 * 1024 })).toBeUndefined();
  });

  it("reports velocity, floods, data-centre share, click-id reuse, impossible timing and crawlers by kind", async () => {
    const { status, body } = await get("/api/v1/discovery/fraud?start_date=2024-07-01&end_date=2024-07-01");
    expect(status).toBe(200);
    const patterns = body.patterns as Array<{ kind: string; events: string; dimensions: Record<string, string> }>;
    const byKind = (kind: string) => patterns.filter((p) => p.kind === kind);
    expect(byKind("ip_velocity")).toEqual([
      expect.objectContaining({
        events: "25",
        dimensions: expect.objectContaining({ ip_hash: "111", network: "AMAZON-02" }),
      }),
    ]);
    expect(byKind("click_flood")).toEqual([
      expect.objectContaining({
        events: "60",
        dimensions: expect.objectContaining({
          asn: "14061",
          network: "DIGITALOCEAN-ASN",
          window_start: "2024-07-01 13:00:00",
        }),
      }),
    ]);
    // google: 85 clicks from 7 addresses, 25 of them from a data centre.
    expect(byKind("datacenter_share")).toEqual([
      expect.objectContaining({ events: "25", dimensions: { source: "google", share: "0.2941" } }),
    ]);
    expect(byKind("suspicious_segment")).toContainEqual(
      expect.objectContaining({
        events: "85",
        dimensions: expect.objectContaining({ source: "google", unique_ips: "7", clicks_per_ip: "12.14" }),
      }),
    );
    expect(byKind("suspicious_segment").some((p) => p.dimensions.source === "bing")).toBe(false);
    expect(byKind("click_id_reuse")).toEqual([
      expect.objectContaining({ events: "6", dimensions: { click_id_type: "msclkid" } }),
    ]);
    expect(byKind("impossible_timing")).toEqual([
      expect.objectContaining({ events: "2", dimensions: { source: "bing" } }),
    ]);
    expect(
      patterns
        .filter((p) => p.kind.startsWith("bot:"))
        .map((p) => [p.kind, p.events])
        .sort(),
    ).toEqual([
      ["bot:ai_agent", "4"],
      ["bot:automation", "2"],
      ["bot:search_crawler", "5"],
      ["bot:seo_tool", "3"],
    ]);
    // globex's clicking address is not acme's.
    expect(patterns.some((p) => p.dimensions.ip_hash === "777")).toBe(false);
  });
});
