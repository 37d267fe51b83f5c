import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;
const at = (iso: string) => new Date(iso);
const ev = (
  time: string,
  type: EventSpec["type"],
  visitorId: string,
  sessionId: string,
  extra: Partial<EventSpec> = {},
): EventSpec => ({
  organizationId: "acme",
  time: at(time),
  type,
  visitorId,
  sessionId,
  ...extra,
});

// Funnel pageview → click → purchase: v1 completes, v2 stops after the click, v3 and v5
// only view, v4 clicks without viewing first.
const funnelEvents = [
  ev("2026-03-03T10:00:00Z", "pageview", "v1", "s1", { campaignId: "spring", source: "google" }),
  ev("2026-03-03T10:01:00Z", "click", "v1", "s1", { campaignId: "spring", source: "google" }),
  ev("2026-03-03T10:02:00Z", "conversion", "v1", "s1", {
    campaignId: "spring",
    value: 30,
    conversionName: "purchase",
    source: "google",
  }),
  ev("2026-03-03T11:00:00Z", "pageview", "v2", "s2", { source: "newsletter" }),
  ev("2026-03-03T11:05:00Z", "click", "v2", "s2", { campaignId: "spring", source: "newsletter" }),
  ev("2026-03-04T09:00:00Z", "pageview", "v3", "s3", { source: "google" }),
  ev("2026-03-04T09:00:00Z", "click", "v4", "s4", { campaignId: "autumn", source: "bing" }),
  ev("2026-03-04T12:00:00Z", "pageview", "v5", "s5", { source: "google", country: "DE" }),
  ev("2026-03-04T12:30:00Z", "conversion", "v5", "s5", {
    value: 12.5,
    conversionName: "purchase",
    source: "google",
    country: "DE",
  }),
  // Week of 2026-03-09: v1 comes back; v6 is new.
  ev("2026-03-10T08:00:00Z", "pageview", "v1", "s6", { source: "google" }),
  ev("2026-03-11T08:00:00Z", "pageview", "v6", "s7", { source: "bing" }),
];

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex"] });
  await warehouse.insertEvents(funnelEvents);
  await warehouse.insertEvents([
    ev("2026-03-03T10:00:00Z", "click", "x1", "x1", {
      organizationId: "globex",
      campaignId: "spring",
      source: "google",
    }),
    ev(new Date(Date.now() - 90_000).toISOString(), "click", "r1", "r1", { source: "google" }),
    ev(new Date(Date.now() - 30_000).toISOString(), "pageview", "r1", "r1", { source: "google" }),
  ]);
});

afterAll(async () => {
  await warehouse?.close();
});

async function get(path: string, key = warehouse.keys.acme) {
  const response = await fetch(`${warehouse.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function report(body: unknown, key = warehouse.keys.acme) {
  const response = await fetch(`${warehouse.url}/api/v1/analytics/query`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const march = { start: "2026-03-01", end: "2026-03-31" };

describe("custom reports", () => {
  it("group, aggregate, filter, order and page, with totals over every matching row", async () => {
    const { status, body } = await report({
      dimensions: ["source"],
      metrics: ["events", "conversions", "revenue", "visitors"],
      time_range: march,
      order_by: [{ field: "events", direction: "desc" }],
      limit: 2,
    });
    expect(status).toBe(200);
    expect(body.rows).toEqual([
      { source: "google", events: 7, conversions: 2, revenue: 42.5, visitors: 3 },
      { source: "bing", events: 2, conversions: 0, revenue: 0, visitors: 2 },
    ]);
    expect(body.total_rows).toBe("3");
    expect(body.totals).toEqual({ source: "", events: 11, conversions: 2, revenue: 42.5, visitors: 6 });

    const second = await report({
      dimensions: ["source"],
      metrics: ["events"],
      time_range: march,
      order_by: [{ field: "events", direction: "desc" }],
      limit: 2,
      offset: 2,
    });
    expect(second.body.rows).toEqual([{ source: "newsletter", events: 2 }]);
  });

  it("filter dimensions with operators and metrics after grouping", async () => {
    const { body } = await report({
      dimensions: ["source", "country"],
      metrics: ["events"],
      filters: [
        { field: "source", operator: "in", values: ["google", "bing"] },
        { field: "events", operator: "gte", value: 2 },
      ],
      time_range: march,
    });
    expect(body.rows).toEqual([
      { source: "bing", country: "", events: 2 },
      { source: "google", country: "", events: 5 },
      { source: "google", country: "DE", events: 2 },
    ]);
  });

  it("bucket by time in the requested zone", async () => {
    const { body } = await report({
      metrics: ["events"],
      time_range: { ...march, time_zone: "America/Los_Angeles" },
      group_by: "week",
    });
    expect(body.rows).toEqual([
      { bucket: "2026-03-02", events: 9 },
      { bucket: "2026-03-09", events: 2 },
    ]);
  });

  it("answer only the caller's organization", async () => {
    const { body } = await report({ metrics: ["events"], time_range: march }, warehouse.keys.globex);
    expect(body.rows).toEqual([{ events: 1 }]);
  });

  it("name the field of every mistake", async () => {
    const cases: Array<[unknown, string]> = [
      [{ metrics: ["eventz"], time_range: march }, "metrics[0]"],
      [{ metrics: [], time_range: march }, "metrics"],
      [{ metrics: ["events"], dimensions: ["source", "source"], time_range: march }, "dimensions[1]"],
      [
        { metrics: ["events"], filters: [{ field: "source", operator: "gt", value: 1 }], time_range: march },
        "filters[0].operator",
      ],
      [
        { metrics: ["events"], filters: [{ field: "events", operator: "gt", value: "many" }], time_range: march },
        "filters[0].value",
      ],
      [
        { metrics: ["events"], filters: [{ field: "shoe", operator: "eq", value: 1 }], time_range: march },
        "filters[0].field",
      ],
      [{ metrics: ["events"], order_by: [{ field: "source" }], time_range: march }, "order_by[0].field"],
      [{ metrics: ["events"], time_range: march, limit: 1_000_000 }, "limit"],
      [{ metrics: ["events"], time_range: march, organization_id: "globex" }, "organization_id"],
      [{ metrics: ["events"], time_range: { start: "2026-03-01" } }, "range.end_date"],
    ];
    for (const [body, field] of cases) {
      const response = await report(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(
        (response.body.error as { violations: Array<{ field: string }> }).violations[0]?.field,
        JSON.stringify(body),
      ).toBe(field);
    }
  });
});

describe("analytics endpoints", () => {
  it("funnel counts each step within the window and the drop-off", async () => {
    const { status, body } = await get(
      "/api/v1/analytics/funnel?steps=pageview,click,purchase&start_date=2026-03-01&end_date=2026-03-31&window=1d",
    );
    expect(status).toBe(200);
    expect(body.steps).toEqual([
      { name: "pageview", count: "5", conversion_from_previous: 1, conversion_from_first: 1, drop_off: "0" },
      { name: "click", count: "2", conversion_from_previous: 0.4, conversion_from_first: 0.4, drop_off: "3" },
      { name: "purchase", count: "1", conversion_from_previous: 0.5, conversion_from_first: 0.2, drop_off: "1" },
    ]);
  });

  it("campaign performance combines event and session metrics", async () => {
    const { body } = await get(
      "/api/v1/analytics/campaigns?start_date=2026-03-01&end_date=2026-03-31&campaign_id=spring",
    );
    expect(body.rows).toEqual([
      expect.objectContaining({
        campaign_id: "spring",
        clicks: "2",
        conversions: "1",
        revenue: 30,
        sessions: "1",
        conversion_rate: 1,
        average_order_value: 30,
        average_session_duration_seconds: 120,
        bounce_rate: 0,
      }),
    ]);
  });

  it("cohorts follow visitors from the week they were first seen", async () => {
    const { body } = await get(
      "/api/v1/analytics/cohorts?cohort_type=weekly&periods=2&start_date=2026-03-02&end_date=2026-03-15",
    );
    expect(body.cohorts).toEqual([
      { cohort: "2026-03-02", size: "5", values: [5, 1], retention: [1, 0.2] },
      { cohort: "2026-03-09", size: "1", values: [1, 0], retention: [1, 0] },
    ]);
  });

  it("realtime fills every minute and totals the last ones", async () => {
    const { body } = await get("/api/v1/analytics/realtime?last=5m&metrics=events,clicks");
    const points = body.points as Array<{ minute: string; values: Record<string, number> }>;
    expect(points).toHaveLength(5);
    expect(body.totals).toEqual({ events: 2, clicks: 1 });
    expect(points.reduce((sum, p) => sum + (p.values.events ?? 0), 0)).toBe(2);
  });

  it("the catalogue lists typed dimensions and metrics", async () => {
    const { body } = await get("/api/v1/analytics/catalog");
    const dims = body.dimensions as Array<{ name: string; type: string; operators: string[] }>;
    const mets = body.metrics as Array<{ name: string; type: string }>;
    expect(dims.find((d) => d.name === "source")).toMatchObject({ type: "String" });
    expect(dims.find((d) => d.name === "source")?.operators).toContain("FILTER_OPERATOR_STARTS_WITH");
    expect(mets.find((m) => m.name === "revenue")).toMatchObject({ type: "Float64" });
    expect((dims.find((d) => d.name === "source") as unknown as { rollups: string[] }).rollups).toEqual([
      "events_daily",
      "events_hourly",
    ]);
    expect((dims.find((d) => d.name === "browser") as unknown as { rollups: string[] }).rollups).toEqual([]);
    expect((dims.find((d) => d.name === "event_type") as unknown as { rollups: string[] }).rollups[0]).toBe(
      "events_daily_overview",
    );
  });
});

describe("large results", () => {
  const body = {
    dimensions: ["source"],
    metrics: ["events", "revenue"],
    time_range: march,
    order_by: [{ field: "source" }],
  };

  it("export any report as CSV or NDJSON, streamed", async () => {
    const csv = await fetch(`${warehouse.url}/api/v1/analytics/query/export?format=csv`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(await csv.text()).toBe("source,events,revenue\nbing,2,0\ngoogle,7,42.5\nnewsletter,2,0\n");
    const ndjson = await fetch(`${warehouse.url}/api/v1/analytics/query/export?format=ndjson`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const lines = (await ndjson.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { source: "bing", events: 2, revenue: 0 },
      { source: "google", events: 7, revenue: 42.5 },
      { source: "newsletter", events: 2, revenue: 0 },
    ]);
    const bad = await fetch(`${warehouse.url}/api/v1/analytics/query/export?format=xml`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(bad.status).toBe(400);
  });
});
