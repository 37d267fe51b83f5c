import { installTelemetry, ORG_ATTRIBUTE, SERVICE_ATTRIBUTE } from "@trellis/platform";
import { afterAll, beforeAll, expect, it } from "vitest";
import { dailyTraffic } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

const telemetry = installTelemetry({ serviceName: "trellis-test", inMemory: true });
let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["initech"] });
  await warehouse.insertEvents(dailyTraffic("initech", "2026-05-01", 2, 10));
});

afterAll(async () => {
  await warehouse?.close();
});

it("puts gateway, query, cache and the ClickHouse query of one REST call in one trace, each tagged with the organization", async () => {
  const exporter = telemetry.memoryExporter;
  if (!exporter) throw new Error("in-memory exporter missing");
  exporter.reset();
  const response = await fetch(`${warehouse.url}/api/v1/analytics/traffic?start_date=2026-05-01&end_date=2026-05-02`, {
    headers: { authorization: `Bearer ${warehouse.keys.initech}` },
  });
  expect(response.status).toBe(200);

  const spans = exporter.getFinishedSpans();
  const rest = spans.find((s) => s.name === "GET /api/v1/analytics/traffic");
  expect(rest).toBeDefined();
  const traceId = rest?.spanContext().traceId;
  const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);

  const find = (name: string, service?: string) =>
    inTrace.find((s) => s.name === name && (service === undefined || s.attributes[SERVICE_ATTRIBUTE] === service));
  const gateway = find("trellis.warehouse.v1.AnalyticsService/GetTraffic", "gateway");
  const query = find("trellis.warehouse.v1.QueryService/Execute", "query");
  const cacheGet = find("trellis.warehouse.v1.CacheService/Get", "cache");
  const cacheSet = find("trellis.warehouse.v1.CacheService/Set", "cache");
  const clickhouse = find("clickhouse.query traffic");
  for (const [label, span] of Object.entries({ rest, gateway, query, cacheGet, cacheSet, clickhouse })) {
    expect(span, label).toBeDefined();
    expect(span?.attributes[ORG_ATTRIBUTE], label).toBe("initech");
  }
  // Parentage follows the hops: REST → gateway → query → ClickHouse, and query → cache.
  const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
  const ancestors = (span: (typeof spans)[number] | undefined) => {
    const chain: string[] = [];
    let current = span;
    while (current?.parentSpanContext) {
      current = byId.get(current.parentSpanContext.spanId);
      if (current) chain.push(`${current.attributes[SERVICE_ATTRIBUTE] ?? "-"} ${current.name}`);
    }
    return chain;
  };
  expect(ancestors(clickhouse)).toEqual(
    expect.arrayContaining([
      "query trellis.warehouse.v1.QueryService/Execute",
      "gateway trellis.warehouse.v1.AnalyticsService/GetTraffic",
      "- GET /api/v1/analytics/traffic",
    ]),
  );
  expect(ancestors(cacheGet)[0]).toBe("query trellis.warehouse.v1.CacheService/Get");
  expect(clickhouse?.attributes["db.query.text"]).toContain("{organization_id:String}");
});
