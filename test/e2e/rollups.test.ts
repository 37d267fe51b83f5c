import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { FilterOperator, FilterSchema, Granularity, RunReportRequestSchema } from "@trellis/contracts";
import type { SourcePreference } from "@trellis/traffic-rules";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileReport } from "../../services/query/src/questions/report/compile.js";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;
const sources = ["google", "bing", "newsletter", ""];
const countries = ["US", "DE", "IN", ""];
const campaigns = ["spring", "autumn", ""];
const types: EventSpec["type"][] = ["click", "pageview", "conversion", "custom"];

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex"] });
  // Deterministic spread over two months, at odd minutes so local days and hours differ from UTC ones.
  const specs: EventSpec[] = [];
  let x = 12345;
  const next = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  for (let i = 0; i < 6000; i++) {
    const organizationId = i % 5 === 0 ? "globex" : "acme";
    specs.push({
      organizationId,
      time: new Date(Date.parse("2026-01-01T00:00:00Z") + next(59 * 24 * 60) * 60_000 + next(60) * 1000),
      type: types[next(4)] ?? "click",
      visitorId: `${organizationId}-v${next(300)}`,
      sessionId: next(7) === 0 ? "" : `${organizationId}-s${next(900)}`,
      source: sources[next(4)],
      country: countries[next(4)],
      campaignId: campaigns[next(3)],
      value: next(100) + next(100) / 100,
    });
  }
  await warehouse.insertEvents(specs);
});

afterAll(async () => {
  await warehouse?.close();
});

async function run(request: ReturnType<typeof create<typeof RunReportRequestSchema>>, source: SourcePreference) {
  const compiled = compileReport(request, warehouse.database, "acme", { source });
  const { rows } = await warehouse.embedded.store.query<Record<string, unknown>>({
    name: "test.rollup",
    sql: compiled.sql,
    params: compiled.params,
    organizationId: "acme",
  });
  const normalized = rows.map((r) =>
    Object.fromEntries(
      Object.entries(r)
        .filter(([k]) => k !== "__rn")
        .map(([k, v]) => [k, typeof v === "number" ? Math.round(v * 1e6) / 1e6 : v]),
    ),
  );
  return { table: compiled.table, rows: normalized };
}

const granularities = [Granularity.UNSPECIFIED, Granularity.HOUR, Granularity.DAY, Granularity.WEEK, Granularity.MONTH];
const zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Asia/Kolkata"];
const metricNames = [
  "events",
  "clicks",
  "pageviews",
  "conversions",
  "revenue",
  "visitors",
  "sessions",
  "unique_clicks",
  "conversion_rate",
  "average_order_value",
  "average_fraud_score",
];
const dimensionNames = ["source", "country", "campaign_id", "event_type", "is_bot"];

const reportArbitrary = fc.record({
  dimensions: fc.subarray(dimensionNames, { maxLength: 2 }),
  metrics: fc.subarray(metricNames, { minLength: 1, maxLength: 4 }),
  granularity: fc.constantFrom(...granularities),
  zone: fc.constantFrom(...zones),
  startDay: fc.integer({ min: 0, max: 50 }),
  days: fc.integer({ min: 1, max: 20 }),
  filter: fc.option(
    fc.record({
      field: fc.constantFrom("source", "country", "campaign_id"),
      operator: fc.constantFrom(FilterOperator.EQ, FilterOperator.NEQ, FilterOperator.IN),
      value: fc.constantFrom("google", "DE", "spring", ""),
    }),
    { nil: undefined },
  ),
  having: fc.boolean(),
});

it("answers every routable report from a rollup exactly as from raw events", async () => {
  const routedTables = new Set<string>();
  const comparedTables = new Set<string>();
  const rollupNames = ["events_hourly", "events_daily", "events_daily_overview", "events_daily_totals"] as const;
  await fc.assert(
    fc.asyncProperty(reportArbitrary, async (spec) => {
      const start = new Date(Date.parse("2026-01-01T00:00:00Z") + spec.startDay * 86_400_000);
      const end = new Date(start.getTime() + (spec.days - 1) * 86_400_000);
      const filters = spec.filter
        ? [
            create(FilterSchema, {
              field: spec.filter.field,
              operator: spec.filter.operator,
              value:
                spec.filter.operator === FilterOperator.IN
                  ? undefined
                  : create(ValueSchema, { kind: { case: "stringValue", value: spec.filter.value } }),
              values:
                spec.filter.operator === FilterOperator.IN
                  ? [create(ValueSchema, { kind: { case: "stringValue", value: spec.filter.value } })]
                  : [],
            }),
          ]
        : [];
      if (spec.having) {
        filters.push(
          create(FilterSchema, {
            field: spec.metrics[0] ?? "events",
            operator: FilterOperator.GTE,
            value: create(ValueSchema, { kind: { case: "numberValue", value: 1 } }),
          }),
        );
      }
      const request = create(RunReportRequestSchema, {
        dimensions: spec.dimensions,
        metrics: spec.metrics,
        groupBy: spec.granularity,
        range: {
          startDate: start.toISOString().slice(0, 10),
          endDate: end.toISOString().slice(0, 10),
          timeZone: spec.zone,
        },
        filters,
        limit: 100_000,
      });
      const raw = await run(request, "raw");
      const routed = await run(request, "auto");
      routedTables.add(routed.table);
      expect(routed.rows).toEqual(raw.rows);
      if (spec.zone === "Asia/Kolkata") expect(routed.table).toBe("analytics_events");
      if (spec.zone === "UTC" && spec.granularity !== Granularity.HOUR) {
        const fields = [...spec.dimensions, ...(spec.filter ? [spec.filter.field] : [])];
        const totalsFit = fields.every((d) => d === "is_bot");
        const overviewFits = fields.every((d) => d === "event_type" || d === "is_bot");
        expect(routed.table).toBe(
          totalsFit ? "events_daily_totals" : overviewFits ? "events_daily_overview" : "events_daily",
        );
      }
      // Every rollup that can answer the question must answer it exactly, not only the one routed to.
      for (const rollup of rollupNames) {
        const forced = await run(request, rollup);
        if (forced.table !== rollup) continue;
        comparedTables.add(rollup);
        expect(forced.rows).toEqual(raw.rows);
      }
    }),
    { numRuns: 60, seed: 20261122 },
  );
  expect(comparedTables).toEqual(new Set(rollupNames));
  expect(routedTables).toContain("analytics_events");
});

it("routes a query over a dimension the rollups do not keep to raw events", () => {
  const request = create(RunReportRequestSchema, {
    dimensions: ["browser"],
    metrics: ["events"],
    range: { startDate: "2026-01-01", endDate: "2026-01-31" },
  });
  expect(compileReport(request, "db", "acme").table).toBe("analytics_events");
  expect(
    compileReport(create(RunReportRequestSchema, { ...request, dimensions: ["source"] }), "db", "acme").table,
  ).toBe("events_daily");
});
