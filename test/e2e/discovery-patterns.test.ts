import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DateRangeSchema, DiscoveryService } from "@trellis/contracts";
import { defaultQueryLimits, resolveRange, withLimits } from "@trellis/traffic-rules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compilePatterns,
  compileWindowEvents,
  joinSeries,
  materializedCteSupport,
  patternQuerySettings,
  patternSettingsFor,
  type SeparateSeriesRow,
  withDays,
} from "../../services/discovery/src/patterns/compile.js";
import type { GroupRow } from "../../services/discovery/src/patterns/select.js";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;

/**
 * Two weeks of acme's traffic (2024-06-01 … 06-14) and the two weeks before:
 * - a newsletter nobody tagged: 12 sessions from news.example.com to /blog/spring?ref=spring,
 *   3 of them buying for 50, none before the range (the pattern to find);
 * - 10 untagged Google Ads clicks (gclid) to /sale beside 20 tagged ones (campaign "summer");
 * - a partner site as busy before the range as in it (steady: no pattern by default);
 * - direct visits to the home page and organic search (the site's usual traffic: never patterns);
 * - crawler and high-fraud sessions from the newsletter's host (never a pattern).
 * globex gets the same newsletter, 30 sessions: acme must never see them.
 */
const traffic: EventSpec[] = [];
let n = 0;
function session(
  org: string,
  day: string,
  columns: EventSpec["columns"],
  options: { campaignId?: string; convert?: number; pages?: number } = {},
) {
  const id = `${org}-s${n++}`;
  const start = Date.parse(`${day}T10:00:00Z`) + n * 1000;
  const base = { organizationId: org, visitorId: id, sessionId: id, campaignId: options.campaignId };
  traffic.push({ ...base, time: new Date(start), type: "pageview", columns });
  for (let p = 1; p < (options.pages ?? 2); p++)
    traffic.push({ ...base, time: new Date(start + p * 60_000), type: "pageview", columns: { channel: "internal" } });
  if (options.convert !== undefined)
    traffic.push({ ...base, time: new Date(start + 600_000), type: "conversion", value: options.convert });
}
const day = (d: number) => `2024-06-${String(d).padStart(2, "0")}`;
const before = (d: number) => `2024-05-${String(17 + d).padStart(2, "0")}`;
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
for (let i = 0; i < 12; i++) session("acme", day(3 + (i % 3)), newsletter, { convert: i < 3 ? 50 : undefined });
for (let i = 0; i < 20; i++)
  session(
    "acme",
    day(1 + (i % 14)),
    {
      channel: "paid_search",
      source: "google",
      medium: "cpc",
      click_id_type: "gclid",
      landing_path: "/sale",
      query_params: { utm_campaign: "summer", gclid: `g${i}` },
    },
    { campaignId: "summer", convert: i < 4 ? 20 : undefined },
  );
for (let i = 0; i < 10; i++)
  session("acme", day(1 + i), {
    channel: "paid_search",
    source: "google",
    medium: "cpc",
    click_id_type: "gclid",
    landing_path: "/sale",
    query_params: { gclid: `u${i}` },
  });
const partner = {
  referrer_host: "partner.example.org",
  channel: "referral",
  source: "partner.example.org",
  landing_path: "/tools",
};
for (let i = 0; i < 10; i++) {
  session("acme", day(1 + i), partner);
  session("acme", before(1 + i), partner);
}
for (let i = 0; i < 15; i++) {
  session("acme", day(1 + (i % 14)), { channel: "direct", source: "(direct)", landing_path: "/" });
  session("acme", day(1 + (i % 14)), {
    channel: "organic_search",
    source: "google",
    referrer_host: "www.google.com",
    landing_path: "/blog/spring",
  });
}
for (let i = 0; i < 6; i++) {
  session("acme", day(4), { ...newsletter, is_bot: true, bot_name: "AhrefsBot" });
  session("acme", day(4), { ...newsletter, fraud_score: 80 });
}
for (let i = 0; i < 30; i++) session("globex", day(4), newsletter, { convert: 99 });

// initech: a display campaign "flash_sale" ran 06-05 … 06-09 (24 tagged clicks from espn.com to
// /lp/flash); 12 more clicks of it lost their tags, 2 of them buying for 30; after the flight, 5
// direct visits to the same page (bookmarks, not the campaign).
const flash = { referrer_host: "www.espn.com", channel: "referral", source: "www.espn.com", landing_path: "/lp/flash" };
for (let i = 0; i < 24; i++)
  session(
    "initech",
    day(5 + (i % 5)),
    { ...flash, channel: "display", source: "google", medium: "display", query_params: { utm_campaign: "flash_sale" } },
    { campaignId: "flash_sale" },
  );
for (let i = 0; i < 12; i++) session("initech", day(5 + (i % 5)), flash, { convert: i < 2 ? 30 : undefined });
for (let i = 0; i < 5; i++)
  session("initech", day(11 + (i % 3)), { channel: "direct", source: "(direct)", landing_path: "/lp/flash" });

// hooli: a newsletter issue "nl_june" (06-04 … 06-10) that its email platform does not tag
// beyond its UTMs: 24 tagged clicks to /feature without a referrer and 16 from Gmail, 8 from
// Gmail to /other; untagged, 6 and 4 to /feature and 5 from Gmail to /other. A site links /feature
// (2 visits in the week). A lifecycle mail "welcome" has 4 tagged clicks from Gmail to /welcome
// over the two weeks and 3 untagged in the week: too few for a group of their own, yet its
// page is what the Gmail visits elsewhere must leave out.
const mailLanding = (landing_path: string, gmail: boolean) => ({
  channel: gmail ? "email" : "direct",
  ...(gmail ? { referrer_host: "mail.google.com" } : {}),
  landing_path,
});
const tagged = (columns: EventSpec["columns"], campaign: string) => ({
  ...columns,
  channel: "email",
  source: "newsletter",
  medium: "email",
  query_params: { utm_campaign: campaign },
});
for (let i = 0; i < 24; i++)
  session("hooli", day(4 + (i % 7)), tagged(mailLanding("/feature", false), "nl_june"), { campaignId: "nl_june" });
for (let i = 0; i < 16; i++)
  session("hooli", day(4 + (i % 7)), tagged(mailLanding("/feature", true), "nl_june"), { campaignId: "nl_june" });
for (let i = 0; i < 8; i++)
  session("hooli", day(4 + (i % 7)), tagged(mailLanding("/other", true), "nl_june"), { campaignId: "nl_june" });
for (let i = 0; i < 6; i++) session("hooli", day(4 + (i % 3)), mailLanding("/feature", false));
for (let i = 0; i < 4; i++) session("hooli", day(4 + (i % 3)), mailLanding("/feature", true));
for (let i = 0; i < 5; i++) session("hooli", day(5 + (i % 3)), mailLanding("/other", true));
for (let i = 0; i < 2; i++)
  session("hooli", day(6), { channel: "referral", referrer_host: "blog.example", landing_path: "/feature" });
for (let i = 0; i < 4; i++)
  session("hooli", day(1 + i * 4), tagged(mailLanding("/welcome", true), "welcome"), { campaignId: "welcome" });
for (let i = 0; i < 3; i++) session("hooli", day(6 + i), mailLanding("/welcome", true));

const june = "start_date=2024-06-01&end_date=2024-06-14";

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex", "initech", "hooli"] });
  await warehouse.insertEvents(traffic);
});

afterAll(async () => {
  await warehouse?.close();
});

interface Json {
  [key: string]: unknown;
}

async function call(method: string, path: string, body?: unknown, key = warehouse.keys.acme) {
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

interface PatternJson {
  id: string;
  suggested_name: string;
  sessions: string;
  conditions: Array<{ field: string; operator: string; values?: string[] }>;
  suggested_campaign: { name: string; priority: number; rules: Array<{ conditions: PatternJson["conditions"] }> };
}

describe("patterns in unattributed traffic", () => {
  it("finds the untagged newsletter and the untagged ad clicks, ranked by value, with exact figures", async () => {
    const { status, body } = await call("GET", `/api/v1/discovery/patterns?${june}`);
    expect(status).toBe(200);
    expect(body.unattributed_sessions).toBe("47"); // 12 newsletter + 10 gclid + 10 partner + 15 direct
    expect(body.sessions).toBe("67"); // … + 20 tagged
    const patterns = body.patterns as PatternJson[];
    expect(patterns).toHaveLength(2);
    expect((body.meta as Json).source).toBe("ANSWER_SOURCE_STORE");
    // Asked again under the same data and campaigns: the same answer and run, from the cache.
    const cached = await call("GET", `/api/v1/discovery/patterns?${june}`);
    expect(cached.body.run_id).toBe(body.run_id);
    expect(cached.body.patterns).toEqual(body.patterns);
    expect((cached.body.meta as Json).source).toBe("ANSWER_SOURCE_CACHE_L1");
    expect(patterns[0]).toMatchObject({
      suggested_name: "Discovered: news.example.com",
      sessions: "12",
      sample_size: "12",
      events: "27",
      conversions: "3",
      revenue: 150,
      conversion_rate: 0.25,
      baseline_conversion_rate: 0.1045, // 7 converting of 67 sessions
      support: 0.2553,
      risk_ratio: 1.571, // 1 / (35 / 55)
      time_shape: "new",
      active_days: 3,
      estimated_value: 150,
      potential_reach: "12",
      countries: ["FR"],
      device_types: ["desktop"],
      referrer_hosts: ["news.example.com"],
      range: { start_date: "2024-06-03", end_date: "2024-06-05" },
      conditions: [{ field: "referrer_host", operator: "MATCH_OPERATOR_EQUALS", values: ["news.example.com"] }],
      suggested_campaign: {
        name: "Discovered: news.example.com",
        priority: 10,
        rules: [
          {
            conditions: [
              { field: "referrer_host", operator: "MATCH_OPERATOR_EQUALS", values: ["news.example.com"] },
              // The pattern counts campaign channels only: organic visits from the host are left out.
              {
                field: "channel",
                operator: "MATCH_OPERATOR_NOT_EQUALS",
                values: ["organic_search", "organic_social", "internal"],
              },
            ],
          },
        ],
      },
    });
    expect(patterns[1]).toMatchObject({
      // The clicks' tagged twins are all campaign "summer": these are its clicks without tags.
      suggested_name: "Discovered: summer untagged (gclid clicks)",
      sessions: "10",
      attributed_sessions: "20",
      potential_reach: "30",
      estimated_value: 0,
      conditions: [{ field: "click_id_type", operator: "MATCH_OPERATOR_EQUALS", values: ["gclid"] }],
      suggested_campaign: {
        rules: [
          {
            conditions: [
              { field: "click_id_type", operator: "MATCH_OPERATOR_EQUALS", values: ["gclid"] },
              // Tagged clicks keep their campaign.
              { field: "utm_campaign", operator: "MATCH_OPERATOR_EQUALS", values: [""] },
            ],
          },
        ],
      },
    });
  });

  it("keeps steady sources when asked (min_growth=1), never the home page, organic search, bots or fraud", async () => {
    const { body } = await call("GET", `/api/v1/discovery/patterns?${june}&min_growth=1`);
    const names = (body.patterns as PatternJson[]).map((p) => p.suggested_name);
    expect(names).toEqual([
      "Discovered: news.example.com",
      "Discovered: summer untagged (gclid clicks)",
      "Discovered: partner.example.org",
    ]);
  });

  it("sees only the organization's own traffic", async () => {
    const { body } = await call("GET", `/api/v1/discovery/patterns?${june}`, undefined, warehouse.keys.globex);
    const patterns = body.patterns as Array<PatternJson & { revenue: number }>;
    expect(patterns).toHaveLength(1);
    expect(patterns[0]).toMatchObject({ sessions: "30", revenue: 2970 });
    expect(body.unattributed_sessions).toBe("30");
  });

  it("finds a campaign's clicks that lost their tags, within the campaign's flight", async () => {
    const { status, body } = await call("GET", `/api/v1/discovery/patterns?${june}`, undefined, warehouse.keys.initech);
    expect(status).toBe(200);
    expect(body.unattributed_sessions).toBe("17");
    const patterns = body.patterns as PatternJson[];
    expect(patterns).toHaveLength(1);
    expect(patterns[0]).toMatchObject({
      suggested_name: "Discovered: flash_sale untagged (www.espn.com)",
      // Counted within the flight (06-05 … 06-09): the visits after it are not the campaign's.
      sessions: "12",
      attributed_sessions: "24",
      events: "26", // 12 landings, 12 second pages, 2 conversions
      conversions: "2",
      revenue: 60,
      range: { start_date: "2024-06-05", end_date: "2024-06-09" },
      conditions: [{ field: "referrer_host", operator: "MATCH_OPERATOR_EQUALS", values: ["www.espn.com"] }],
      suggested_campaign: {
        rules: [
          {
            conditions: [
              { field: "referrer_host", operator: "MATCH_OPERATOR_EQUALS", values: ["www.espn.com"] },
              {
                field: "channel",
                operator: "MATCH_OPERATOR_NOT_EQUALS",
                values: ["organic_search", "organic_social", "internal"],
              },
              { field: "utm_campaign", operator: "MATCH_OPERATOR_EQUALS", values: [""] },
            ],
            valid_from: "2024-06-05T00:00:00Z",
            valid_until: "2024-06-10T00:00:00Z",
          },
        ],
      },
    });
  });

  it("gathers a newsletter issue's untagged clicks, leaving out a lifecycle mail's page however few its visits", async () => {
    const { status, body } = await call("GET", `/api/v1/discovery/patterns?${june}`, undefined, warehouse.keys.hooli);
    expect(status).toBe(200);
    expect(body.unattributed_sessions).toBe("20");
    const patterns = body.patterns as PatternJson[];
    const notOrganic = {
      field: "channel",
      operator: "MATCH_OPERATOR_NOT_EQUALS",
      values: ["organic_search", "organic_social", "internal"],
    };
    const untagged = { field: "utm_campaign", operator: "MATCH_OPERATOR_EQUALS", values: [""] };
    const flight = { valid_from: "2024-06-04T00:00:00Z", valid_until: "2024-06-11T00:00:00Z" };
    const feature = { field: "landing_path", operator: "MATCH_OPERATOR_EQUALS", values: ["/feature"] };
    const gmail = { field: "referrer_host", operator: "MATCH_OPERATOR_EQUALS", values: ["mail.google.com"] };
    expect(patterns.map((p) => [p.suggested_name, p.sessions])).toEqual([
      ["Discovered: nl_june untagged (/feature)", "15"],
    ]);
    expect(patterns[0]?.suggested_campaign.rules).toEqual([
      {
        conditions: [
          { field: "referrer_class", operator: "MATCH_OPERATOR_EQUALS", values: ["direct"] },
          feature,
          notOrganic,
          untagged,
        ],
        ...flight,
      },
      { conditions: [gmail, feature, notOrganic, untagged], ...flight },
      {
        conditions: [
          gmail,
          { field: "landing_path", operator: "MATCH_OPERATOR_NOT_EQUALS", values: ["/feature", "/welcome"] },
          notOrganic,
          untagged,
        ],
        ...flight,
      },
    ]);
  });

  it("answers each group's daily figures, the days as dates", async () => {
    const range = resolveRange(
      create(DateRangeSchema, { startDate: "2024-06-01", endDate: "2024-06-14", timeZone: "UTC" }),
      "range",
    );
    const statement = compilePatterns(
      { sql: "campaign_id", params: {} },
      range,
      { minSessions: 1, fraudScoreMax: 50, source: "landing_sessions" },
      warehouse.database,
      "hooli",
    );
    const { rows } = await warehouse.embedded.store.query<GroupRow>({
      name: "test.patterns",
      sql: withLimits(statement.sql, defaultQueryLimits, undefined, patternQuerySettings),
      params: statement.params,
      organizationId: "hooli",
    });
    const groups = withDays(rows, "2024-05-18");
    // The totals: hooli's 20 untagged sessions (of 2 pages each) on 06-04 … 06-08, none in the
    // window before; the tagged ones are not in the daily figures.
    const totals = groups.find((row) => Object.entries(row).every(([k, v]) => !k.startsWith("a_") || v === null));
    expect(totals).toMatchObject({ u: 20, active_days: 5 });
    expect(totals?.daily).toEqual([
      ["2024-06-04", "2024-06-05", "2024-06-06", "2024-06-07", "2024-06-08"],
      [4, 5, 8, 2, 1],
      [8, 10, 16, 4, 2],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    // The Gmail visits to /other: 5 on 06-05 … 06-07.
    const other = groups.find((row) => row.a_landing_path === "/other" && row.a_referrer_host === "mail.google.com");
    expect(other?.daily.slice(0, 2)).toEqual([
      ["2024-06-05", "2024-06-06", "2024-06-07"],
      [2, 2, 1],
    ]);
  });

  it("answers the same groups and figures with the per-day series in a pass of its own, from the events or the landing sessions", async () => {
    const range = resolveRange(
      create(DateRangeSchema, { startDate: "2024-06-01", endDate: "2024-06-14", timeZone: "UTC" }),
      "range",
    );
    const groupsOf = async (
      organizationId: string,
      separateSeries: boolean,
      minSessions: number,
      source: "events" | "landing_sessions" = "events",
    ) => {
      const statement = compilePatterns(
        { sql: "campaign_id", params: {} },
        range,
        { minSessions, fraudScoreMax: 50, separateSeries, source },
        warehouse.database,
        organizationId,
      );
      const answer = await warehouse.embedded.store.query<GroupRow | SeparateSeriesRow>({
        name: "test.patterns",
        sql: withLimits(statement.sql, defaultQueryLimits, undefined, patternSettingsFor(separateSeries)),
        params: statement.params,
        organizationId,
      });
      if (separateSeries) {
        // The groups and their series as rows of their own: a series only for a group the
        // support pruning keeps, so the answer carries nothing it leaves out.
        const raw = answer.rows as SeparateSeriesRow[];
        const groupKeys = new Set(raw.filter((r) => r.kind === "group").map((r) => r.key));
        expect(raw.filter((r) => r.kind === "series" && !groupKeys.has(r.key))).toEqual([]);
      }
      const rows = separateSeries
        ? joinSeries<GroupRow>(answer.rows as SeparateSeriesRow[])
        : (answer.rows as GroupRow[]);
      // One row per group, in an order of their own: sorted by the group's attributes.
      const key = (row: GroupRow) => JSON.stringify(Object.entries(row).filter(([k]) => k.startsWith("a_")));
      return rows.sort((a, b) => key(a).localeCompare(key(b)));
    };
    let everyGroupCount = 0;
    let prunedCount = 0;
    for (const organizationId of ["acme", "globex", "initech", "hooli"]) {
      // Every group, then only those of at least three sessions of a class (groups pruned).
      const everyGroup = await groupsOf(organizationId, false, 1);
      expect(everyGroup.length).toBeGreaterThan(5);
      expect(await groupsOf(organizationId, true, 1)).toEqual(everyGroup);
      expect(await groupsOf(organizationId, true, 1, "landing_sessions")).toEqual(everyGroup);
      expect(await groupsOf(organizationId, false, 1, "landing_sessions")).toEqual(everyGroup);
      const pruned = await groupsOf(organizationId, false, 3);
      expect(await groupsOf(organizationId, true, 3)).toEqual(pruned);
      expect(await groupsOf(organizationId, true, 3, "landing_sessions")).toEqual(pruned);
      everyGroupCount += everyGroup.length;
      prunedCount += pruned.length;
    }
    expect(prunedCount).toBeLessThan(everyGroupCount);
    // Which shape a call takes follows the organization's events of the range and the window
    // before it, its own only.
    const window = compileWindowEvents(range, warehouse.database, "acme");
    const { rows } = await warehouse.embedded.store.query<{ events: string }>({
      name: "test.patterns.window",
      sql: window.sql,
      params: window.params,
      organizationId: "acme",
    });
    expect(Number(rows[0]?.events)).toBe(traffic.filter((event) => event.organizationId === "acme").length);
    // The embedded engine keeps a CTE once for its readers; an engine that cannot is told apart.
    const engine = await warehouse.embedded.store.query<{ known: string }>({
      name: "test.patterns.engine",
      ...materializedCteSupport,
      organizationId: null,
    });
    expect(Number(engine.rows[0]?.known)).toBe(1);
  });

  it("answers bad input with 400 naming the field", async () => {
    const cases: Array<[string, string]> = [
      [`/api/v1/discovery/patterns?${june}&limit=101`, "limit"],
      [`/api/v1/discovery/patterns?start_date=2024-06-14&end_date=2024-06-01`, "range.end_date"],
      [`/api/v1/discovery/patterns?end_date=2024-06-01`, "start_date"],
      [`/api/v1/discovery/patterns?${june}&min_support=2`, "min_support"],
      [`/api/v1/discovery/patterns?${june}&min_support=x`, "min_support"],
      [`/api/v1/discovery/patterns?${june}&colour=red`, "colour"],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await call("GET", path);
      expect(status, path).toBe(400);
      expect((body.error as { violations: Array<{ field: string }> }).violations[0]?.field, path).toBe(field);
    }
  });
});

describe("adopting a pattern", () => {
  it("creates a retroactive campaign: the next answer credits it for traffic stored before it existed", async () => {
    const found = await call("GET", `/api/v1/discovery/patterns?${june}`);
    const pattern = (found.body.patterns as PatternJson[])[0] as PatternJson;
    const campaignsBefore = await call("GET", `/api/v1/analytics/campaigns?${june}`);
    expect((campaignsBefore.body.rows as Json[]).map((r) => r.campaign_id)).toEqual(["summer"]);

    // Another organization cannot adopt from (or even see) acme's run.
    const runId = found.body.run_id as string;
    const foreign = await call(
      "POST",
      `/api/v1/discovery/patterns/${pattern.id}/adopt`,
      { run_id: runId },
      warehouse.keys.globex,
    );
    expect(foreign.status).toBe(404);

    const adopted = await call("POST", `/api/v1/discovery/patterns/${pattern.id}/adopt`, { name: "Spring newsletter" });
    expect(adopted.status).toBe(200);
    expect(adopted.body).toMatchObject({
      campaign: { name: "Spring newsletter", priority: 10 },
      ruleset_version: "1",
      // Matched events are every event with the newsletter's referrer: the 12 landings, and the
      // crawler's and the fraud's 12 (a campaign matches events; discovery left those out).
      preview: { events: "24", conversions: "3", revenue: 150, previously_unattributed_events: "24" },
    });
    const campaignId = (adopted.body.campaign as { id: string }).id;

    const after = await call("GET", `/api/v1/analytics/campaigns?${june}`);
    expect(after.body.rows).toEqual([
      // Campaign performance counts every session the campaign matches, the crawler's and the fraud's too.
      expect.objectContaining({
        campaign_id: campaignId,
        campaign_name: "Spring newsletter",
        sessions: "24",
        conversions: "3",
        revenue: 150,
      }),
      expect.objectContaining({ campaign_id: "summer", sessions: "20" }),
    ]);

    // Under the new ruleset the newsletter is attributed: it is no longer a pattern.
    const again = await call("GET", `/api/v1/discovery/patterns?${june}`);
    expect((again.body.patterns as PatternJson[]).map((p) => p.suggested_name)).toEqual([
      "Discovered: summer untagged (gclid clicks)",
    ]);
    expect(again.body.unattributed_sessions).toBe("35");
  });

  it("lists the stored runs of the organization only, and answers a run again", async () => {
    const runs = await call("GET", "/api/v1/discovery/runs?kind=patterns");
    const list = runs.body.runs as Array<{ id: string; kind: string; findings: number; range: Json }>;
    // The two discoveries of the first tests, and the adopt test's second (under the new
    // ruleset); the adopt test's first asked what the first test asked, under the same data and
    // ruleset: it got that answer back from the cache, with its run, and stored none.
    expect(list).toHaveLength(3);
    expect(list[0]).toMatchObject({
      kind: "patterns",
      findings: 1,
      range: { start_date: "2024-06-01", end_date: "2024-06-14" },
    });
    const one = await call("GET", `/api/v1/discovery/runs/${list[0]?.id}`);
    expect(one.status).toBe(200);
    expect((one.body.patterns as { patterns: PatternJson[] }).patterns.map((p) => p.suggested_name)).toEqual([
      "Discovered: summer untagged (gclid clicks)",
    ]);
    const globexRuns = await call("GET", "/api/v1/discovery/runs", undefined, warehouse.keys.globex);
    expect((globexRuns.body.runs as unknown[]).length).toBe(1); // its own, from the isolation test
    const foreign = await call("GET", `/api/v1/discovery/runs/${list[0]?.id}`, undefined, warehouse.keys.globex);
    expect(foreign.status).toBe(404);
  });

  it("needs campaigns:manage to adopt and analytics:read to discover", async () => {
    const reader = await warehouse.createKey("acme", ["analytics:read"]);
    const found = await call("GET", `/api/v1/discovery/patterns?${june}`, undefined, reader);
    expect(found.status).toBe(200);
    const id = (found.body.patterns as PatternJson[])[0]?.id;
    const refused = await call("POST", `/api/v1/discovery/patterns/${id}/adopt`, {}, reader);
    expect(refused.status).toBe(403);
  });
});

describe("over gRPC through the gateway", () => {
  it("discovers and refuses adopting without campaigns:manage, with the organization from the key only", async () => {
    const discovery = createClient(DiscoveryService, createGrpcTransport({ baseUrl: warehouse.url }));
    const reader = await warehouse.createKey("globex", ["analytics:read"]);
    const headers = { authorization: `Bearer ${reader}` };
    const answer = await discovery.discoverPatterns(
      { range: { startDate: "2024-06-01", endDate: "2024-06-14" } },
      { headers },
    );
    expect(answer.patterns.map((p) => [p.suggestedName, p.sessions])).toEqual([["Discovered: news.example.com", 30n]]);
    const refused = await discovery
      .adoptPattern({ patternId: answer.patterns[0]?.id ?? "", runId: answer.runId }, { headers })
      .catch((e: unknown) => ConnectError.from(e));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.PermissionDenied);
    const bad = await discovery
      .discoverPatterns({ range: { startDate: "2024-06-01", endDate: "2024-06-14" }, limit: 1000 }, { headers })
      .catch((e: unknown) => ConnectError.from(e));
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
  });
});

describe("a ruleset testing the full landing URL", () => {
  it("reads the events, which keep the URL the landing sessions leave out, and finds the same patterns", async () => {
    const names = (body: Json) =>
      (body.patterns as PatternJson[]).map((p) => [p.suggested_name, p.sessions, p.conditions]);
    const before = await call("GET", `/api/v1/discovery/patterns?${june}&limit=50`, undefined, warehouse.keys.initech);
    expect(before.status).toBe(200);
    expect((before.body.meta as Json).table).toBe("landing_sessions");
    const created = await call(
      "POST",
      "/api/v1/campaigns",
      {
        id: "by_url",
        name: "By URL",
        rules: [{ conditions: [{ field: "landing_url", operator: "contains", value: "utm_campaign=never-sent" }] }],
      },
      warehouse.keys.initech,
    );
    expect(created.status).toBe(200);
    const after = await call("GET", `/api/v1/discovery/patterns?${june}&limit=50`, undefined, warehouse.keys.initech);
    expect(after.status).toBe(200);
    expect((after.body.meta as Json).table).toBe("analytics_events");
    expect(names(after.body).length).toBeGreaterThan(0);
    expect(names(after.body)).toEqual(names(before.body));
  });
});
