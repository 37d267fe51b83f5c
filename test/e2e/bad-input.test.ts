import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AnalyticsService, CampaignService, MatchOperator } from "@trellis/contracts";
import { fieldViolationsOf } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

// Every bad input answers 400 (INVALID_ARGUMENT) naming the field, and nothing invalid is stored.

let warehouse: TestWarehouse;
const recently = () => new Date(Date.now() - 60_000).toISOString();

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex", "broken"],
    env: { TRELLIS_INGEST_FLUSH_MS: "20" },
  });
  await warehouse.insertEvents([
    {
      organizationId: "broken",
      time: new Date("2026-03-03T10:00:00Z"),
      type: "click",
      visitorId: "v1",
      sessionId: "s1",
      source: "google",
    },
    {
      organizationId: "acme",
      time: new Date("2026-03-03T10:00:00Z"),
      type: "click",
      visitorId: "v1",
      sessionId: "s1",
      source: "google",
    },
  ]);
});

afterAll(async () => {
  await warehouse?.close();
});

interface Violation {
  field: string;
  reason: string;
}
interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers of many shapes are read by the tests.
  json: any;
}

async function rest(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; key?: string } = {},
): Promise<Answer> {
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.key ?? warehouse.keys.acme}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** A 400 invalid_argument answer whose violations name `field` (and give `reason`, when asked). */
function expectRefused(answer: Answer, field: string, reason?: string | RegExp): Violation {
  expect(answer.status, answer.text).toBe(400);
  expect(answer.json?.error?.code, answer.text).toBe("invalid_argument");
  const violations = (answer.json.error.violations ?? []) as Violation[];
  const violation = violations.find((v) => v.field === field);
  expect(violation, answer.text).toBeDefined();
  if (reason !== undefined) expect((violation as Violation).reason, answer.text).toMatch(reason);
  return violation as Violation;
}

/** The ConnectError a call fails with (it must fail). */
async function connectError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}

async function expectInvalidArgument(call: Promise<unknown>, field: string, reason?: string | RegExp) {
  const error = await connectError(call);
  expect(error.code, error.message).toBe(Code.InvalidArgument);
  const violation = fieldViolationsOf(error).find((v) => v.field === field);
  expect(violation, error.message).toBeDefined();
  if (reason !== undefined) expect(violation?.reason).toMatch(reason);
  return error;
}

const connect = () => createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1" });
const auth = (key = warehouse.keys.acme) => ({ headers: { authorization: `Bearer ${key}` } });

async function storedEvents(organizationId: string, eventIds: string[]): Promise<number> {
  const { rows } = await warehouse.embedded.store.query<{ n: string }>({
    name: "test.count",
    sql: `SELECT count() AS n FROM ${warehouse.database}.analytics_events
WHERE organization_id = {org:String} AND has({ids:Array(String)}, event_id)`,
    params: { org: organizationId, ids: eventIds },
    organizationId,
  });
  return Number(rows[0]?.n);
}

async function rulesetVersions(organizationId: string): Promise<number> {
  const { rows } = await warehouse.embedded.store.query<{ n: string }>({
    name: "test.rulesets",
    sql: `SELECT count() AS n FROM ${warehouse.database}.campaign_rulesets WHERE organization_id = {org:String}`,
    params: { org: organizationId },
    organizationId,
  });
  return Number(rows[0]?.n);
}

const click = (eventId: string, extra: Record<string, unknown> = {}) => ({
  event_id: eventId,
  type: "EVENT_TYPE_CLICK",
  time: recently(),
  url: "https://shop.example/landing?utm_source=newsletter",
  ip: "81.2.69.142",
  visitor_id: "v1",
  session_id: "s1",
  ...extra,
});

const rule = { conditions: [{ field: "source", operator: "equals", value: "google" }] };
const march = "start_date=2026-03-01&end_date=2026-03-31";

describe("dates outside the supported range (2000-01-01 … 2099-12-31)", () => {
  it.each([
    ["/api/v1/analytics/campaigns?start_date=0000-01-01&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/campaigns?start_date=2026-01-01&end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/campaigns?end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/campaigns?end_date=not-a-date", "range.end_date"],
    ["/api/v1/analytics/attribution/models?start_date=0000-01-01&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/attribution/models?start_date=2026-01-01&end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/funnel?start_date=0000-01-01&end_date=2026-01-31&steps=pageview,click", "range.start_date"],
    ["/api/v1/analytics/funnel?start_date=2026-01-01&end_date=9999-12-31&steps=pageview,click", "range.end_date"],
    ["/api/v1/analytics/cohorts?start_date=0000-01-01&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/cohorts?end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/traffic?start_date=1969-12-31&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2149-06-06", "range.end_date"],
  ])("%s answers 400 naming %s", async (path, field) => {
    expectRefused(await rest("GET", path), field, /2000-01-01 and 2099-12-31|YYYY-MM-DD/);
  });

  it("refuses them in a campaign preview, on REST and Connect", async () => {
    const answer = await rest("POST", "/api/v1/campaigns/preview", {
      body: { campaign: { name: "x", rules: [rule] }, range: { start_date: "0000-01-01", end_date: "2026-01-31" } },
    });
    expectRefused(answer, "range.start_date", /between 2000-01-01 and 2099-12-31/);
    const campaigns = createClient(CampaignService, connect());
    await expectInvalidArgument(
      campaigns.previewCampaign(
        {
          campaign: {
            name: "x",
            rules: [{ conditions: [{ field: "source", operator: MatchOperator.EXISTS }] }],
          },
          range: { startDate: "2026-01-01", endDate: "9999-12-31" },
        },
        auth(),
      ),
      "range.end_date",
    );
  });

  it("refuses them on Connect", async () => {
    const analytics = createClient(AnalyticsService, connect());
    await expectInvalidArgument(
      analytics.getCampaignPerformance({ range: { startDate: "0000-01-01", endDate: "2026-01-31" } }, auth()),
      "range.start_date",
    );
    await expectInvalidArgument(
      analytics.compareAttributionModels({ range: { startDate: "2026-01-01", endDate: "9999-12-31" } }, auth()),
      "range.end_date",
    );
    await expectInvalidArgument(
      analytics.getCohorts({ range: { startDate: "0000-01-01", endDate: "2026-01-31" } }, auth()),
      "range.start_date",
    );
    await expectInvalidArgument(
      analytics.getFunnel(
        { range: { startDate: "0000-01-01", endDate: "2026-01-31" }, steps: [{ name: "a" }, { name: "b" }] },
        auth(),
      ),
      "range.start_date",
    );
  });

  it("still answers the first and last supported dates", async () => {
    for (const path of [
      "/api/v1/analytics/traffic?start_date=2000-01-01&end_date=2000-01-31&group_by=week",
      "/api/v1/analytics/traffic?start_date=2099-12-01&end_date=2099-12-31&group_by=hour&time_zone=Pacific/Kiritimati",
      "/api/v1/analytics/attribution/models?start_date=2000-01-01&end_date=2000-01-31&lookback_days=365",
      "/api/v1/analytics/cohorts?end_date=2000-01-10",
      "/api/v1/analytics/campaigns?start_date=2099-12-31&end_date=2099-12-31&group_by=month",
    ]) {
      const answer = await rest("GET", path);
      expect(answer.status, `${path}: ${answer.text}`).toBe(200);
    }
  });
});

describe("cohort periods", () => {
  it.each([
    ["4294967295", /at most 104/],
    ["4294967296", /too large/],
    ["105", /at most 104/],
  ])("periods=%s answers 400 naming the maximum", async (periods, reason) => {
    expectRefused(await rest("GET", `/api/v1/analytics/cohorts?periods=${periods}`), "periods", reason);
    expectRefused(
      await rest("GET", `/api/v1/analytics/cohorts?${march}&cohort_type=monthly&periods=${periods}`),
      "periods",
      reason,
    );
  });

  it("answers the largest number of periods", async () => {
    const answer = await rest("GET", `/api/v1/analytics/cohorts?${march}&periods=104`);
    expect(answer.status, answer.text).toBe(200);
  });
});

describe("dates that are not on the calendar", () => {
  it("refuses an event at 2026-02-30 naming its time, storing nothing (not March 2)", async () => {
    const refused = await rest("POST", "/api/v1/events", {
      body: [click("feb30-1", { time: "2026-02-30T10:00:00Z" })],
    });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.rejected).toEqual([
      { index: 0, field: "events[0].time", reason: expect.stringContaining("is not a calendar date") },
    ]);
    const mixed = await rest("POST", "/api/v1/events", {
      raw: `${JSON.stringify(click("feb30-2"))}\n${JSON.stringify(click("feb30-3", { time: "2026-11-31T10:00:00Z" }))}\n`,
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(mixed.status, mixed.text).toBe(200);
    expect(mixed.json.rejected).toEqual([
      { index: 1, field: "events[1].time", reason: expect.stringContaining("is not a calendar date") },
    ]);
    expect(await storedEvents("acme", ["feb30-1", "feb30-3"])).toBe(0);
    expect(await storedEvents("acme", ["feb30-2"])).toBe(1);
  });

  it("refuses it in a campaign window and in a question's range", async () => {
    expectRefused(
      await rest("POST", "/api/v1/campaigns", {
        body: { name: "Feb", rules: [{ ...rule, valid_from: "2026-02-30T00:00:00Z" }] },
      }),
      "rules[0].valid_from",
      /not a calendar date/,
    );
    expectRefused(
      await rest("POST", "/api/v1/campaigns/preview", {
        body: { campaign: { name: "x", rules: [rule] }, range: { start_date: "2026-02-01", end_date: "2026-02-29" } },
      }),
      "range.end_date",
      /not a calendar date/,
    );
    expectRefused(await rest("GET", "/api/v1/analytics/cohorts?end_date=2026-04-31"), "range.end_date");
    expectRefused(
      await rest("GET", "/api/v1/analytics/funnel?start_date=2026-02-30&end_date=2026-03-31&steps=a,b"),
      "range.start_date",
    );
    expect(await rulesetVersions("acme")).toBe(0);
  });
});

describe("NUL and broken Unicode in campaign text", () => {
  it("refuses them in the name and in values, on REST and Connect, storing nothing", async () => {
    expectRefused(
      await rest("POST", "/api/v1/campaigns", { body: { name: "Spring\u0000sale", rules: [rule] } }),
      "campaign.name",
      /NUL/,
    );
    expectRefused(
      await rest("POST", "/api/v1/campaigns", { body: { name: "Spring\ud800", rules: [rule] } }),
      "campaign.name",
      /Unicode/,
    );
    expectRefused(
      await rest("POST", "/api/v1/campaigns", {
        body: { name: "Spring", rules: [{ conditions: [{ field: "source", operator: "equals", value: "a\u0000" }] }] },
      }),
      "campaign.rules[0].conditions[0].values[0]",
      /NUL/,
    );
    const campaigns = createClient(CampaignService, connect());
    await expectInvalidArgument(
      campaigns.createCampaign(
        {
          campaign: {
            name: "nul\u0000",
            rules: [{ conditions: [{ field: "source", operator: MatchOperator.EXISTS }] }],
          },
        },
        auth(),
      ),
      "campaign.name",
      /NUL/,
    );
    expect(await rulesetVersions("acme")).toBe(0);
  });
});
