import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;

// Traffic from two years before the campaigns exist: a newsletter nobody tagged (referrer
// news.example.com, some links with ?ref=spring), a tagged paid-search campaign and direct.
const ev = (
  time: string,
  type: EventSpec["type"],
  visitor: string,
  session: string,
  columns: Record<string, unknown> = {},
  extra: Partial<EventSpec> = {},
): EventSpec => ({
  organizationId: "acme",
  time: new Date(time),
  type,
  visitorId: visitor,
  sessionId: session,
  columns,
  ...extra,
});
const newsletter = { referrer_host: "news.example.com", channel: "referral", source: "news.example.com" };
const traffic: EventSpec[] = [
  ev("2024-06-01T10:00:00Z", "pageview", "v1", "s1", { ...newsletter, query_params: { ref: "spring" } }),
  ev("2024-06-01T10:02:00Z", "pageview", "v1", "s1", { channel: "internal" }),
  ev("2024-06-01T10:05:00Z", "conversion", "v1", "s1", {}, { value: 50 }),
  ev("2024-06-02T09:00:00Z", "pageview", "v2", "s2", { ...newsletter, country: "FR" }),
  ev(
    "2024-06-02T11:00:00Z",
    "click",
    "v3",
    "s3",
    { channel: "paid_search", source: "google" },
    { campaignId: "summer" },
  ),
  ev(
    "2024-06-02T11:00:01Z",
    "pageview",
    "v3",
    "s3",
    { channel: "paid_search", source: "google" },
    { campaignId: "summer" },
  ),
  ev("2024-06-02T11:10:00Z", "conversion", "v3", "s3", {}, { value: 20 }),
  ev("2024-06-03T08:00:00Z", "pageview", "v4", "s4", { channel: "direct", source: "(direct)" }),
  ev("2024-06-03T08:01:00Z", "conversion", "v4", "s4", {}, { value: 5 }),
  ev("2024-06-02T09:00:00Z", "pageview", "g1", "g1", newsletter, { organizationId: "globex" }),
];
const june = "start_date=2024-06-01&end_date=2024-06-30";

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex"] });
  await warehouse.insertEvents(traffic);
});

afterAll(async () => {
  await warehouse?.close();
});

interface CampaignJson {
  id: string;
  name: string;
  archived: boolean;
  rules: Array<{ conditions: Array<{ field: string; operator: string; values: string[] }> }>;
}

/** The fields of the answers (campaigns, campaign performance, reports, errors) the tests read. */
interface Answer {
  campaign: CampaignJson;
  campaigns: CampaignJson[];
  ruleset_version: string;
  rows: Array<Record<string, unknown>>;
  meta: { ruleset_version: string; table: string };
  versions: Array<{ version: string; change: string; principal: string }>;
  error: { violations: Array<{ field: string }> };
}

async function call(method: string, path: string, body?: unknown, key = warehouse.keys.acme) {
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

const byNewsletter = {
  name: "Spring newsletter",
  priority: 10,
  rules: [{ conditions: [{ field: "referrer_host", operator: "equals", value: "News.Example.com" }] }],
};

function performance(query = "", key = warehouse.keys.acme) {
  return call("GET", `/api/v1/analytics/campaigns?${june}${query}`, undefined, key);
}

let campaignId = "";

describe("retroactive campaigns", () => {
  it("previews what draft rules would have matched, and how much of it had no campaign", async () => {
    const { status, body } = await call("POST", "/api/v1/campaigns/preview", {
      campaign: byNewsletter,
      range: { start_date: "2024-06-01", end_date: "2024-06-30" },
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      events: "2",
      conversions: "1",
      revenue: 50,
      previously_unattributed_events: "2",
      days: [
        { date: "2024-06-01", events: "1", conversions: "1", revenue: 50, previously_unattributed_events: "1" },
        { date: "2024-06-02", events: "1", conversions: "0", revenue: 0, previously_unattributed_events: "1" },
      ],
    });
  });

  it("applies a campaign created today to traffic from two years ago on the next question", async () => {
    const before = await performance();
    expect(before.body.rows.map((r) => r.campaign_id)).toEqual(["summer"]);

    const created = await call("POST", "/api/v1/campaigns", byNewsletter);
    expect(created.status).toBe(200);
    campaignId = created.body.campaign.id;
    expect(campaignId).toMatch(/^cmp_/);
    expect(created.body.ruleset_version).toBe("1");
    expect(created.body.campaign.rules[0]?.conditions[0]).toEqual({
      field: "referrer_host",
      operator: "MATCH_OPERATOR_EQUALS",
      values: ["news.example.com"],
    });

    const after = await performance();
    expect(after.body.meta.ruleset_version).toBe("1");
    // Rows come ordered by campaign id: "cmp_…" before "summer".
    expect(after.body.rows).toEqual([
      expect.objectContaining({
        campaign_id: campaignId,
        campaign_name: "Spring newsletter",
        sessions: "2",
        conversions: "1",
        revenue: 50,
        conversion_rate: 0.5,
      }),
      expect.objectContaining({ campaign_id: "summer", clicks: "1", sessions: "1", conversions: "1", revenue: 20 }),
    ]);

    const report = await call("POST", "/api/v1/analytics/query", {
      dimensions: ["campaign_id"],
      metrics: ["events"],
      filters: [{ field: "campaign_id", operator: "eq", value: campaignId }],
      time_range: { start: "2024-06-01", end: "2024-06-30" },
    });
    expect(report.body.rows).toEqual([{ campaign_id: campaignId, events: 2 }]);
    expect(report.body.meta.table).toBe("analytics_events");
  });

  it("answers as of an earlier ruleset version after an update, and forgets archived campaigns", async () => {
    const updated = await call("PUT", `/api/v1/campaigns/${campaignId}`, {
      ...byNewsletter,
      rules: [
        {
          conditions: [
            { field: "referrer_host", operator: "equals", value: "news.example.com" },
            { field: "param:ref", operator: "in", values: ["spring", "spring-2"] },
          ],
        },
      ],
    });
    expect(updated.status).toBe(200);
    expect(updated.body.ruleset_version).toBe("2");

    const current = await performance(`&campaign_id=${campaignId}`);
    expect(current.body.rows).toEqual([expect.objectContaining({ sessions: "1", conversions: "1" })]);
    const asOfFirst = await performance(`&campaign_id=${campaignId}&as_of_ruleset_version=1`);
    expect(asOfFirst.body.rows).toEqual([expect.objectContaining({ sessions: "2", conversions: "1" })]);
    expect(asOfFirst.body.meta.ruleset_version).toBe("1");

    const archived = await call("DELETE", `/api/v1/campaigns/${campaignId}`);
    expect(archived.body.campaign.archived).toBe(true);
    expect(archived.body.ruleset_version).toBe("3");
    expect((await performance(`&campaign_id=${campaignId}`)).body.rows).toEqual([]);
    expect((await performance(`&campaign_id=${campaignId}&as_of_ruleset_version=2`)).body.rows).toHaveLength(1);

    const listed = await call("GET", "/api/v1/campaigns");
    expect(listed.body.campaigns).toEqual([]);
    const withArchived = await call("GET", "/api/v1/campaigns?include_archived=true");
    expect(withArchived.body.campaigns.map((c) => c.id)).toEqual([campaignId]);
    const asOf = await call("GET", "/api/v1/campaigns?as_of_ruleset_version=1");
    expect(asOf.body.campaigns[0]?.rules[0]?.conditions).toHaveLength(1);

    const versions = await call("GET", "/api/v1/campaigns/versions");
    expect(versions.body.versions.map((v) => [v.version, v.change])).toEqual([
      ["3", `archive ${campaignId} (Spring newsletter)`],
      ["2", `update ${campaignId} (Spring newsletter)`],
      ["1", `create ${campaignId} (Spring newsletter)`],
    ]);
    expect(versions.body.versions[0]?.principal).toMatch(/\S/);
  });

  it("lets the higher priority win when two campaigns match one event", async () => {
    const low = await call("POST", "/api/v1/campaigns", {
      id: "any-referral",
      name: "Any referral",
      priority: 1,
      rules: [{ conditions: [{ field: "channel", operator: "equals", value: "referral" }] }],
    });
    const high = await call("POST", "/api/v1/campaigns", {
      id: "french-newsletter",
      name: "French newsletter readers",
      priority: 5,
      rules: [
        {
          conditions: [
            { field: "referrer_host", operator: "regex", value: "^news\\." },
            { field: "country", operator: "equals", value: "fr" },
          ],
          valid_from: "2024-06-02T00:00:00Z",
          valid_until: "2024-06-03T00:00:00Z",
        },
      ],
    });
    expect([low.status, high.status]).toEqual([200, 200]);
    const { body } = await call("POST", "/api/v1/analytics/query", {
      dimensions: ["campaign_id"],
      metrics: ["pageviews"],
      filters: [{ field: "campaign_id", operator: "in", values: ["any-referral", "french-newsletter"] }],
      time_range: { start: "2024-06-01", end: "2024-06-30" },
    });
    expect(body.rows).toEqual([
      { campaign_id: "any-referral", pageviews: 1 },
      { campaign_id: "french-newsletter", pageviews: 1 },
    ]);
  });

  it("keeps each organization's campaigns to itself", async () => {
    const globex = await call("GET", "/api/v1/campaigns?include_archived=true", undefined, warehouse.keys.globex);
    expect(globex.body).toEqual({ campaigns: [], ruleset_version: "0" });
    const globexPerformance = await performance("", warehouse.keys.globex);
    expect(globexPerformance.body.rows).toEqual([]);
    const missing = await call("GET", "/api/v1/campaigns/any-referral", undefined, warehouse.keys.globex);
    expect(missing.status).toBe(404);
  });

  it("refuses bad campaigns, naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...byNewsletter, name: "" }, "campaign.name"],
      [{ ...byNewsletter, rules: [] }, "campaign.rules"],
      [
        { name: "x", rules: [{ conditions: [{ field: "shoe_size", operator: "equals", value: "9" }] }] },
        "campaign.rules[0].conditions[0].field",
      ],
      [
        { name: "x", rules: [{ conditions: [{ field: "source", operator: "equals", values: ["a", "b"] }] }] },
        "campaign.rules[0].conditions[0].values",
      ],
      [
        { name: "x", rules: [{ conditions: [{ field: "source", operator: "regex", value: "(unclosed" }] }] },
        "campaign.rules[0].conditions[0].values[0]",
      ],
      [
        { name: "x", rules: [{ conditions: [{ field: "source", operator: "like", value: "a" }] }] },
        "rules[0].conditions[0].operator",
      ],
      [
        { name: "x", rules: [{ conditions: [{ field: "source", operator: "exists" }], valid_from: "yesterday" }] },
        "rules[0].valid_from",
      ],
      [{ name: "x", organization_id: "globex", rules: [] }, "organization_id"],
      [{ ...byNewsletter, id: "bad id!" }, "campaign.id"],
    ];
    for (const [body, field] of cases) {
      const { status, body: answer } = await call("POST", "/api/v1/campaigns", body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(answer.error.violations[0]?.field, JSON.stringify(body)).toBe(field);
    }
    const duplicate = await call("POST", "/api/v1/campaigns", { ...byNewsletter, id: "any-referral" });
    expect(duplicate.status).toBe(409);
    expect((await call("PUT", "/api/v1/campaigns/nope", byNewsletter)).status).toBe(404);
    expect((await performance("&as_of_ruleset_version=99")).status).toBe(404);
  });

  it("needs the campaigns scope to change campaigns but not to read them", async () => {
    const reader = await warehouse.createKey("acme", ["analytics:read"]);
    expect((await call("GET", "/api/v1/campaigns", undefined, reader)).status).toBe(200);
    expect(
      (
        await call(
          "POST",
          "/api/v1/campaigns/preview",
          { campaign: byNewsletter, range: { start_date: "2024-06-01", end_date: "2024-06-02" } },
          reader,
        )
      ).status,
    ).toBe(200);
    expect((await call("POST", "/api/v1/campaigns", byNewsletter, reader)).status).toBe(403);
    expect((await call("DELETE", "/api/v1/campaigns/any-referral", undefined, reader)).status).toBe(403);
  });
});
