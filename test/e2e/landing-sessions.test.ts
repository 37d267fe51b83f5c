import { create } from "@bufbuild/protobuf";
import { DateRangeSchema } from "@trellis/contracts";
import { defaultQueryLimits, resolveRange, withLimits } from "@trellis/traffic-rules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compilePatterns,
  joinSeries,
  patternSettingsFor,
  type SeparateSeriesRow,
} from "../../services/discovery/src/patterns/compile.js";
import type { GroupRow } from "../../services/discovery/src/patterns/select.js";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;

interface SessionRow {
  day: string;
  landing_order: string;
  started: string;
  events: string;
  conversions: string;
  revenue: string;
  is_bot: number;
  fraud_score: number;
  landing_path: string;
  referrer_host: string;
  utm: string;
}

const at = (iso: string) => new Date(iso);
const landing = {
  organizationId: "acme",
  visitorId: "v1",
  sessionId: "s1",
  type: "pageview" as const,
};

/**
 * Session s1 of acme, sent in three inserts out of order: its later pages first, its landing
 * (from news.example.com to /blog/spring?ref=spring) second, its purchase last. Session s2
 * crosses UTC midnight. globex has a session of the same id.
 */
const inserts: EventSpec[][] = [
  [
    { ...landing, time: at("2024-06-03T10:05:00Z"), columns: { landing_path: "/pricing", channel: "internal" } },
    {
      ...landing,
      time: at("2024-06-03T10:06:00Z"),
      columns: { landing_path: "/signup", channel: "internal", fraud_score: 20 },
    },
  ],
  [
    {
      ...landing,
      time: at("2024-06-03T10:00:00Z"),
      columns: {
        landing_path: "/blog/spring",
        referrer_host: "news.example.com",
        channel: "referral",
        query_params: { ref: "spring", utm_source: "news" },
      },
    },
    {
      organizationId: "acme",
      visitorId: "v2",
      sessionId: "s2",
      type: "pageview",
      time: at("2024-06-03T23:59:00Z"),
      columns: { landing_path: "/late", channel: "direct" },
    },
    {
      organizationId: "acme",
      visitorId: "v2",
      sessionId: "s2",
      type: "pageview",
      time: at("2024-06-04T00:01:00Z"),
      columns: { landing_path: "/after-midnight", channel: "internal" },
    },
    {
      organizationId: "globex",
      visitorId: "v1",
      sessionId: "s1",
      type: "pageview",
      time: at("2024-06-03T09:00:00Z"),
      columns: { landing_path: "/globex", channel: "direct" },
    },
  ],
  [{ ...landing, type: "conversion", value: 42.5, time: at("2024-06-03T10:30:00Z"), columns: { channel: "internal" } }],
];

async function sessionRows(organizationId: string): Promise<SessionRow[]> {
  const { rows } = await warehouse.embedded.store.query<SessionRow>({
    name: "test.landing_sessions",
    sql: `SELECT toString(day) AS day, toString(landing_order) AS landing_order, toString(started) AS started,
  toString(events) AS events, toString(conversions) AS conversions, toString(revenue) AS revenue, is_bot, fraud_score,
  landing.landing_path AS landing_path, landing.referrer_host AS referrer_host,
  mapFromArrays(landing.param_names, landing.param_values)['utm_source'] AS utm
FROM {db:Identifier}.landing_sessions WHERE organization_id = {org:String}
ORDER BY day, started, landing_order`,
    params: { db: warehouse.database, org: organizationId },
    organizationId,
  });
  return rows;
}

/** A session's rows read as discovery reads them: figures summed by session, facts of the least order key. */
async function sessionsRead(organizationId: string) {
  const { rows } = await warehouse.embedded.store.query<Record<string, string>>({
    name: "test.landing_sessions.read",
    sql: `SELECT toString(s.started) AS started, toString(s.events) AS events, toString(s.revenue) AS revenue,
  toString(s.fraud) AS fraud, l.landing.landing_path AS landing_path
FROM {db:Identifier}.landing_sessions AS l
ANY INNER JOIN (
  SELECT session_key, min(landing_order) AS landing_order, min(started) AS started, sum(events) AS events,
    sum(revenue) AS revenue, max(fraud_score) AS fraud
  FROM {db:Identifier}.landing_sessions WHERE organization_id = {org:String} GROUP BY session_key
) AS s ON l.landing_order = s.landing_order
WHERE l.organization_id = {org:String}
ORDER BY started`,
    params: { db: warehouse.database, org: organizationId },
    organizationId,
  });
  return rows;
}

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex"] });
  for (const batch of inserts) await warehouse.insertEvents(batch);
});

afterAll(async () => {
  await warehouse?.close();
});

describe("landing sessions", () => {
  const expectedRead = [
    { started: "2024-06-03 10:00:00.000", events: "4", revenue: "42.5", fraud: "20", landing_path: "/blog/spring" },
    { started: "2024-06-03 23:59:00.000", events: "2", revenue: "0", fraud: "0", landing_path: "/late" },
  ];

  it("keeps a row per session, day and insert, read back as whole sessions with their landing's facts", async () => {
    const rows = await sessionRows("acme");
    // s1's three inserts wrote three rows of 06-03 (the later pages, the landing, the purchase);
    // s2 one row on each side of midnight.
    expect(rows.map((r) => [r.day, r.started, r.events, r.landing_path])).toEqual([
      ["2024-06-03", "2024-06-03 10:00:00.000", "1", "/blog/spring"],
      ["2024-06-03", "2024-06-03 10:05:00.000", "2", "/pricing"],
      ["2024-06-03", "2024-06-03 10:30:00.000", "1", ""],
      ["2024-06-03", "2024-06-03 23:59:00.000", "1", "/late"],
      ["2024-06-04", "2024-06-04 00:01:00.000", "1", "/after-midnight"],
    ]);
    expect(await sessionsRead("acme")).toEqual(expectedRead);
    // Another organization's session of the same id is its own.
    expect((await sessionRows("globex")).map((r) => [r.started, r.events, r.landing_path])).toEqual([
      ["2024-06-03 09:00:00.000", "1", "/globex"],
    ]);
  });

  it("merges a session's rows of a day into one: figures summed, the landing's facts kept whole", async () => {
    await warehouse.embedded.store.command({
      name: "test.optimize",
      sql: `OPTIMIZE TABLE ${warehouse.database}.landing_sessions FINAL`,
      organizationId: null,
    });
    const rows = await sessionRows("acme");
    expect(rows.map(({ landing_order: _, ...row }) => row)).toEqual([
      {
        day: "2024-06-03",
        started: "2024-06-03 10:00:00.000",
        events: "4",
        conversions: "1",
        revenue: "42.5",
        is_bot: 0,
        fraud_score: 20,
        landing_path: "/blog/spring",
        referrer_host: "news.example.com",
        utm: "news",
      },
      expect.objectContaining({ day: "2024-06-03", started: "2024-06-03 23:59:00.000", landing_path: "/late" }),
      expect.objectContaining({
        day: "2024-06-04",
        started: "2024-06-04 00:01:00.000",
        landing_path: "/after-midnight",
      }),
    ]);
    expect(await sessionsRead("acme")).toEqual(expectedRead);
  });

  it("answers discovery's groups as the events do", async () => {
    const range = resolveRange(
      create(DateRangeSchema, { startDate: "2024-06-01", endDate: "2024-06-07", timeZone: "UTC" }),
      "range",
    );
    const groupsOf = async (source: "events" | "landing_sessions") => {
      const statement = compilePatterns(
        { sql: "campaign_id", params: {} },
        range,
        { minSessions: 1, fraudScoreMax: 50, separateSeries: true, source },
        warehouse.database,
        "acme",
      );
      const { rows } = await warehouse.embedded.store.query<SeparateSeriesRow>({
        name: "test.patterns",
        sql: withLimits(statement.sql, defaultQueryLimits, undefined, patternSettingsFor(true)),
        params: statement.params,
        organizationId: "acme",
      });
      const key = (row: GroupRow) => JSON.stringify(Object.entries(row).filter(([k]) => k.startsWith("a_")));
      return joinSeries<GroupRow>(rows).sort((a, b) => key(a).localeCompare(key(b)));
    };
    const fromEvents = await groupsOf("events");
    const newsletter = fromEvents.find(
      (g) =>
        g.a_referrer_host === "news.example.com" &&
        Object.entries(g).filter(([k, v]) => k.startsWith("a_") && v !== null).length === 1,
    );
    // The newsletter's one session: its four events, its purchase, its landing's unknown parameter.
    expect(newsletter).toMatchObject({ u: 1, u_events: 4, u_conversions: 1, u_revenue: 42.5 });
    expect(fromEvents.some((g) => g.a_query_param === "ref=spring")).toBe(true);
    expect(await groupsOf("landing_sessions")).toEqual(fromEvents);
  });
});
