import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AnalyticsService, FilterOperator, FilterSchema, RunReportRequestSchema } from "@trellis/contracts";
import { fieldViolationsOf } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme"] });
  await warehouse.insertEvents([
    {
      organizationId: "acme",
      time: new Date("2026-03-03T10:00:00Z"),
      type: "click",
      source: "google",
      visitorId: "v1",
      sessionId: "s1",
    },
  ]);
});

afterAll(async () => {
  await warehouse?.close();
});

const timeRange = { start: "2026-03-01", end: "2026-03-31" };
const eq = (value: unknown) => ({ field: "source", operator: "eq", value });

interface Answer {
  status: number;
  error?: { code: string; violations?: Array<{ field: string; reason: string }> };
}

async function post(path: string, body: string): Promise<Answer> {
  const response = await fetch(`${warehouse.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  const json = response.headers.get("content-type")?.includes("application/json") ? JSON.parse(text) : {};
  return { status: response.status, error: json.error };
}

const report = (body: unknown) => post("/api/v1/analytics/query", JSON.stringify(body));

/** A REST answer refusing exactly this field, with a reason that states the limit. */
function expectRefused(answer: Answer, field: string, reason: string | RegExp) {
  expect(answer.status, JSON.stringify(answer)).toBe(400);
  expect(answer.error?.code).toBe("invalid_argument");
  expect(answer.error?.violations).toEqual([{ field, reason: expect.stringMatching(reason) }]);
}

function nested(depth: number, inner: unknown = "google"): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe("custom reports over REST", () => {
  it("answer a report at the limits, its values full of characters that need escaping", async () => {
    // 64 filters, 1063 values, 32,352 characters of values: each value quotes and backslashes.
    const awkward = Array.from({ length: 999 }, (_, i) => `${String(i).padStart(4, "0")}${"'\\".repeat(14)}`);
    const response = await fetch(`${warehouse.url}/api/v1/analytics/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/json" },
      body: JSON.stringify({
        metrics: ["clicks"],
        dimensions: ["source"],
        time_range: timeRange,
        filters: [
          ...Array.from({ length: 63 }, () => eq("google")),
          { field: "source", operator: "in", values: [...awkward, "google"] },
        ],
      }),
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text).rows).toEqual([{ source: "google", clicks: 1 }]);
    const longest = await report({
      metrics: ["clicks"],
      time_range: timeRange,
      filters: [{ field: "landing_path", operator: "starts_with", value: "/".padEnd(2048, "x") }],
    });
    expect(longest.status).toBe(200);
  });

  it("refuse ten thousand filters with 400, naming filters and the limit", async () => {
    const filters = Array.from({ length: 10_000 }, () => eq("google"));
    expectRefused(
      await report({ metrics: ["clicks"], time_range: timeRange, filters }),
      "filters",
      /at most 64 filters/,
    );
  });

  it("refuse more than 1000 values in a filter, naming its values", async () => {
    const values = Array.from({ length: 1001 }, (_, i) => `s${i}`);
    const filters = [eq("google"), { field: "source", operator: "in", values }];
    expectRefused(
      await report({ metrics: ["clicks"], time_range: timeRange, filters }),
      "filters[1].values",
      /at most 1000 values/,
    );
  });

  it("refuse a filter value over 2048 characters and a name over 128", async () => {
    expectRefused(
      await report({ metrics: ["clicks"], time_range: timeRange, filters: [eq("x".repeat(5000))] }),
      "filters[0].value",
      /at most 2048 characters/,
    );
    expectRefused(
      await report({ metrics: ["clicks"], dimensions: ["d".repeat(10_000)], time_range: timeRange }),
      "dimensions[0]",
      /at most 128 characters/,
    );
    expectRefused(
      await report({ metrics: ["clicks", "m".repeat(129)], time_range: timeRange }),
      "metrics[1]",
      /at most 128 characters/,
    );
    expectRefused(
      await report({
        metrics: ["clicks"],
        time_range: timeRange,
        filters: [{ field: "f".repeat(129), operator: "eq" }],
      }),
      "filters[0].field",
      /at most 128 characters/,
    );
  });

  it("refuse a filter value nested deeper than JSON bodies may be, naming the body", async () => {
    const filters = [{ field: "source", operator: "in", values: [nested(150)] }];
    expectRefused(await report({ metrics: ["clicks"], time_range: timeRange, filters }), "body", /more than 32 levels/);
    // Within the depth, a value that is not a string is still refused as one.
    const shallow = [{ field: "source", operator: "in", values: [nested(5)] }];
    expectRefused(
      await report({ metrics: ["clicks"], time_range: timeRange, filters: shallow }),
      "filters[0].values[0]",
      /expected a string/,
    );
  });

  it("refuse any deeply nested body before parsing it, and not for brackets inside strings", async () => {
    expectRefused(await post("/api/v1/analytics/query", `${"[".repeat(100_000)}${"]".repeat(100_000)}`), "body", /32/);
    expectRefused(await post("/api/v1/analytics/query", `{"a":${'{"a":'.repeat(40)}1${"}".repeat(41)}`), "body", /32/);
    expectRefused(await post("/api/v1/sql", `{"sql":${"[".repeat(33)}${"]".repeat(33)}}`), "body", /32/);
    const bracketsInAString = await report({
      metrics: ["clicks"],
      time_range: timeRange,
      filters: [eq("[".repeat(100))],
    });
    expect(bracketsInAString.status).toBe(200);
  });

  it("hold for exports (StreamReport) too", async () => {
    const filters = Array.from({ length: 65 }, () => eq("google"));
    expectRefused(
      await post(
        "/api/v1/analytics/query/export?format=csv",
        JSON.stringify({ metrics: ["clicks"], time_range: timeRange, filters }),
      ),
      "filters",
      /at most 64 filters \(got 65\)/,
    );
  });
});

describe("custom reports over Connect and gRPC", () => {
  const range = { startDate: "2026-03-01", endDate: "2026-03-31" };
  const auth = () => ({ headers: { authorization: `Bearer ${warehouse.keys.acme}` } });
  const filter = (values: JsonValue[]) =>
    create(FilterSchema, {
      field: "source",
      operator: FilterOperator.IN,
      values: values.map((v) => fromJson(ValueSchema, v)),
    });
  const transports: Array<[string, () => Transport]> = [
    ["Connect", () => createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1" })],
    ["gRPC", () => createGrpcTransport({ baseUrl: warehouse.url })],
  ];

  async function refusedWith(call: Promise<unknown>): Promise<{ code: Code; violations: unknown[] }> {
    try {
      await call;
    } catch (error) {
      const connectError = ConnectError.from(error);
      return { code: connectError.code, violations: fieldViolationsOf(connectError) };
    }
    throw new Error("the call succeeded");
  }

  for (const [name, transport] of transports) {
    it(`${name}: RunReport and StreamReport refuse too many filters and values, and long values`, async () => {
      const client = createClient(AnalyticsService, transport());
      const tooMany = create(RunReportRequestSchema, {
        metrics: ["clicks"],
        range,
        filters: Array.from({ length: 10_000 }, () => filter(["google"])),
      });
      expect(await refusedWith(client.runReport(tooMany, auth()))).toEqual({
        code: Code.InvalidArgument,
        violations: [{ field: "filters", reason: "must have at most 64 filters (got 10000)" }],
      });
      const stream = async () => {
        for await (const _ of client.streamReport({ report: tooMany, chunkRows: 100 }, auth())) {
          // drained
        }
      };
      expect(await refusedWith(stream())).toEqual({
        code: Code.InvalidArgument,
        violations: [{ field: "filters", reason: "must have at most 64 filters (got 10000)" }],
      });

      const manyValues = create(RunReportRequestSchema, {
        metrics: ["clicks"],
        range,
        filters: [filter(Array.from({ length: 1001 }, (_, i) => `s${i}`))],
      });
      expect(await refusedWith(client.runReport(manyValues, auth()))).toEqual({
        code: Code.InvalidArgument,
        violations: [{ field: "filters[0].values", reason: "must have at most 1000 values (got 1001)" }],
      });

      const longValue = create(RunReportRequestSchema, {
        metrics: ["clicks"],
        range,
        filters: [filter(["x".repeat(3000)])],
      });
      expect(await refusedWith(client.runReport(longValue, auth()))).toEqual({
        code: Code.InvalidArgument,
        violations: [{ field: "filters[0].values[0]", reason: "must have at most 2048 characters (got 3000)" }],
      });

      // A nested value (lists in lists, within what protobuf decodes) is refused as a value,
      // not an internal error.
      const deep = create(RunReportRequestSchema, {
        metrics: ["clicks"],
        range,
        filters: [filter([nested(20) as JsonValue])],
      });
      expect(await refusedWith(client.runReport(deep, auth()))).toEqual({
        code: Code.InvalidArgument,
        violations: [{ field: "filters[0].values[0]", reason: "expected a string" }],
      });

      const fine = await client.runReport(
        create(RunReportRequestSchema, {
          metrics: ["clicks"],
          dimensions: ["source"],
          range,
          filters: [filter(["google"])],
        }),
        auth(),
      );
      expect(fine.rows).toEqual([{ source: "google", clicks: 1 }]);
    });
  }
});
