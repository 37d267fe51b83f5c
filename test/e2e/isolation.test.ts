import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

const organizations = ["org-a", "org-b", "org-c", "org-d", "org-e", "org-f"];
const eventsPer = (org: string) => 40 + organizations.indexOf(org) * 7;
const rulesetOwners = ["org-a", "org-c", "org-e"];
let warehouse: TestWarehouse;

// Every organization's rows carry markers no other organization has: any foreign row shows.
const marker = (org: string) => ({
  source: `src-${org}`,
  campaign: `cmp-${org}`,
  country: org.slice(-1).toUpperCase(),
});

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations });
  const specs: EventSpec[] = [];
  for (const org of organizations) {
    for (let i = 0; i < eventsPer(org); i++) {
      specs.push({
        organizationId: org,
        time: new Date(Date.parse("2026-04-01T00:00:00Z") + i * 3_600_000),
        type: (["click", "pageview", "conversion"] as const)[i % 3] ?? "click",
        visitorId: `${org}-v${i % 9}`,
        sessionId: `${org}-s${i % 13}`,
        source: marker(org).source,
        campaignId: marker(org).campaign,
        country: marker(org).country,
        value: 5,
      });
    }
  }
  await warehouse.insertEvents(specs);
  // Half of the organizations define a campaign that would match every event of every
  // organization: if a ruleset ever applied beyond its owner, its id would show elsewhere.
  for (const org of rulesetOwners) {
    const response = await fetch(`${warehouse.url}/api/v1/campaigns`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys[org]}`, "content-type": "application/json" },
      body: JSON.stringify({
        id: `rule-${org}`,
        name: `Everything of ${org}`,
        rules: [{ conditions: [{ field: "event_type", operator: "in", values: ["click", "pageview", "conversion"] }] }],
      }),
    });
    expect(response.status).toBe(200);
  }
});

afterAll(async () => {
  await warehouse?.close();
});

async function call(org: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${warehouse.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${warehouse.keys[org]}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, path).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function assertOnlyOwn(org: string, value: unknown): void {
  const text = JSON.stringify(value);
  for (const other of organizations) {
    if (other === org) continue;
    expect(text, `${org} saw ${other}`).not.toContain(`src-${other}`);
    expect(text, `${org} saw ${other}`).not.toContain(`cmp-${other}`);
    expect(text, `${org} saw ${other}`).not.toContain(`${other}-v`);
    expect(text, `${org} saw ${other}'s campaign`).not.toContain(`rule-${other}`);
  }
}

const question = fc.oneof(
  fc.record({
    kind: fc.constant("report" as const),
    dimensions: fc.subarray(["source", "campaign_id", "event_type", "country"], { maxLength: 2 }),
    metrics: fc.subarray(["events", "visitors", "revenue", "sessions"], { minLength: 1, maxLength: 3 }),
    filterOrg: fc.option(fc.constantFrom(...organizations), { nil: undefined }),
    groupBy: fc.constantFrom(undefined, "day", "hour", "week"),
  }),
  fc.record({ kind: fc.constant("traffic" as const), dims: fc.constantFrom("", "source", "campaign_id,country") }),
  fc.record({
    kind: fc.constant("sql" as const),
    statement: fc.constantFrom(
      "SELECT DISTINCT source, campaign_id, visitor_id FROM analytics_events",
      "SELECT organization_id, count() AS n FROM analytics_events GROUP BY organization_id",
      "SELECT source, sum(events) AS n FROM events_hourly GROUP BY source",
      "SELECT organization_id, day, sum(conversions) AS c, uniqExactIfMerge(visitors) AS v FROM events_daily_totals GROUP BY organization_id, day",
      "SELECT groupUniqArray(visitor_id) AS v FROM analytics_events",
    ),
  }),
  fc.record({ kind: fc.constant("campaigns" as const) }),
  fc.record({ kind: fc.constant("funnel" as const) }),
  fc.record({
    kind: fc.constant("attribution" as const),
    creditBy: fc.constantFrom("channel", "campaign"),
    models: fc.constantFrom("first_touch,markov", "shapley,linear", ""),
  }),
);

it("never answers one organization with another's rows, across random questions and cache interleavings", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...organizations), question, async (org, q) => {
      const range = "start_date=2026-04-01&end_date=2026-04-30";
      let answer: Record<string, unknown>;
      switch (q.kind) {
        case "report": {
          const filters = q.filterOrg ? [{ field: "source", operator: "eq", value: marker(q.filterOrg).source }] : [];
          answer = await call(org, "/api/v1/analytics/query", {
            dimensions: q.dimensions,
            metrics: q.metrics,
            filters,
            group_by: q.groupBy,
            time_range: { start: "2026-04-01", end: "2026-04-30" },
            limit: 10_000,
          });
          if (q.metrics.includes("events")) {
            const expected = !q.filterOrg || q.filterOrg === org ? eventsPer(org) : 0;
            expect((answer.totals as { events: number }).events).toBe(expected);
          }
          break;
        }
        case "traffic":
          answer = await call(
            org,
            `/api/v1/analytics/traffic?${range}&group_by=day${q.dims ? `&dimensions=${q.dims}` : ""}`,
          );
          expect(Number((answer.totals as { events: string }).events)).toBe(eventsPer(org));
          break;
        case "sql":
          answer = await call(org, "/api/v1/sql", { sql: q.statement });
          break;
        case "campaigns":
          answer = await call(org, `/api/v1/analytics/campaigns?${range}`);
          expect((answer.rows as Array<{ campaign_id: string }>).map((r) => r.campaign_id)).toEqual([
            rulesetOwners.includes(org) ? `rule-${org}` : marker(org).campaign,
          ]);
          break;
        case "attribution": {
          answer = await call(
            org,
            `/api/v1/analytics/attribution/models?${range}&credit_by=${q.creditBy}${q.models ? `&models=${q.models}` : ""}`,
          );
          expect(answer.total_conversions).toBe(Math.floor(eventsPer(org) / 3));
          const keys = (answer.models as Array<{ credits: Array<{ key: string }> }>).flatMap((m) =>
            m.credits.map((c) => c.key),
          );
          // Here a visitor's events are all of one type, so conversions have no touch: "(none)".
          const own = rulesetOwners.includes(org) ? `rule-${org}` : marker(org).campaign;
          const allowed = q.creditBy === "campaign" ? [own, "(none)"] : ["(none)"];
          for (const key of keys) expect(allowed, key).toContain(key);
          break;
        }
        case "funnel":
          answer = await call(org, `/api/v1/analytics/funnel?${range}&steps=click,pageview`);
          break;
      }
      assertOnlyOwn(org, answer);
    }),
    { numRuns: 120, seed: 42 },
  );
});
