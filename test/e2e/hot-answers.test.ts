// The gateway's hot window: a rendered answer served again without the query and cache
// services, for the same organization and request, until anything this process learns
// about that organization changes. The window is made long here so that only changes end it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyTraffic } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

const ACME = "acme";
const GLOBEX = "globex";

let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: [ACME, GLOBEX],
    env: { TRELLIS_GATEWAY_HOT_ANSWER_MS: "600000", TRELLIS_INGEST_FLUSH_MS: "20" },
  });
  await warehouse.insertEvents([
    ...dailyTraffic(ACME, "2026-03-01", 5, 20),
    ...dailyTraffic(GLOBEX, "2026-03-01", 5, 30),
  ]);
});

afterAll(async () => {
  await warehouse?.close();
});

interface TrafficJson {
  totals: { events: string };
  meta: { source: string };
}

const path = "/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-12-31&group_by=month";

async function traffic(organizationId: string, headers: Record<string, string> = {}, at = path) {
  const response = await fetch(`${warehouse.url}${at}`, {
    headers: { authorization: `Bearer ${warehouse.keys[organizationId]}`, ...headers },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as TrafficJson;
}

const withoutSource = ({ meta, ...rest }: TrafficJson) => ({ ...rest, meta: { ...meta, source: "" } });

describe("the gateway's hot window", () => {
  it("serves a repeated question again as the same answer and says so", async () => {
    const first = await traffic(ACME);
    const again = await traffic(ACME);
    expect(first.meta.source).toBe("ANSWER_SOURCE_STORE");
    expect(again.meta.source).toBe("ANSWER_SOURCE_GATEWAY");
    expect(withoutSource(again)).toEqual(withoutSource(first));
  });

  it("is passed by max-age=0, no-cache and no-store", async () => {
    await traffic(ACME);
    expect((await traffic(ACME, { "cache-control": "max-age=0" })).meta.source).toBe("ANSWER_SOURCE_CACHE_L1");
    expect((await traffic(ACME, { "cache-control": "no-store" })).meta.source).toBe("ANSWER_SOURCE_STORE");
    expect((await traffic(ACME, { "cache-control": "no-cache" })).meta.source).toBe("ANSWER_SOURCE_STORE");
  });

  it("keeps organizations and requests apart", async () => {
    await traffic(ACME);
    const globex = await traffic(GLOBEX);
    expect(Number(globex.totals.events)).toBe(150);
    expect(Number((await traffic(GLOBEX)).totals.events)).toBe(150);
    expect(Number((await traffic(ACME)).totals.events)).toBe(100);
    const narrower = await traffic(ACME, {}, `${path.replace("2026-12-31", "2026-03-02")}`);
    expect(narrower.meta.source).not.toBe("ANSWER_SOURCE_GATEWAY");
    expect(Number(narrower.totals.events)).toBe(40);
  });

  it("serves a repeated custom report again, and only for the same body", async () => {
    const report = async (body: unknown) => {
      const response = await fetch(`${warehouse.url}/api/v1/analytics/query`, {
        method: "POST",
        headers: { authorization: `Bearer ${warehouse.keys[ACME]}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { rows: Array<Record<string, unknown>>; meta: { source: string } };
    };
    const question = {
      dimensions: ["source"],
      metrics: ["events"],
      time_range: { start: "2026-03-01", end: "2026-03-31" },
    };
    const first = await report(question);
    const again = await report(question);
    expect(again.meta.source).toBe("ANSWER_SOURCE_GATEWAY");
    expect(again.rows).toEqual(first.rows);
    const other = await report({ ...question, metrics: ["events", "visitors"] });
    expect(other.meta.source).not.toBe("ANSWER_SOURCE_GATEWAY");
  });

  it("ends for an organization as soon as its new events are acknowledged, and for no other", async () => {
    const before = Number((await traffic(ACME)).totals.events);
    expect((await traffic(ACME)).meta.source).toBe("ANSWER_SOURCE_GATEWAY");
    expect((await traffic(GLOBEX)).meta.source).toBe("ANSWER_SOURCE_GATEWAY");
    const ingested = await fetch(`${warehouse.url}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys[ACME]}`, "content-type": "application/json" },
      body: JSON.stringify([
        { type: "EVENT_TYPE_PAGEVIEW", time: "2026-03-03T10:00:00Z", url: "https://acme.example/new" },
      ]),
    });
    expect(ingested.status).toBe(200);
    const after = await traffic(ACME);
    expect(after.meta.source).not.toBe("ANSWER_SOURCE_GATEWAY");
    expect(Number(after.totals.events)).toBe(before + 1);
    expect((await traffic(GLOBEX)).meta.source).toBe("ANSWER_SOURCE_GATEWAY");
  });

  it("ends for an organization when its campaigns change", async () => {
    await traffic(ACME);
    expect((await traffic(ACME)).meta.source).toBe("ANSWER_SOURCE_GATEWAY");
    const created = await fetch(`${warehouse.url}/api/v1/campaigns`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys[ACME]}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "Spring newsletter",
        rules: [{ conditions: [{ field: "source", operator: "equals", values: ["newsletter"] }] }],
      }),
    });
    expect(created.status).toBe(200);
    const after = await traffic(ACME);
    expect(after.meta.source).not.toBe("ANSWER_SOURCE_GATEWAY");
    expect(Number((after as unknown as { meta: { ruleset_version: string } }).meta.ruleset_version)).toBe(1);
  });
});
