import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  type Filter,
  FilterOperator,
  FilterSchema,
  GetFunnelRequestSchema,
  type OrderBy,
  OrderBySchema,
  RunReportRequestSchema,
} from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { inputLimits } from "../../src/domain/input-limits.js";
import { compileFunnel } from "../../src/questions/funnel/compile.js";
import { compileReport } from "../../src/questions/report/compile.js";

const range = { startDate: "2026-01-01", endDate: "2026-01-31" };
const base = { metrics: ["clicks"], dimensions: ["source"], range };

const value = (json: JsonValue) => fromJson(ValueSchema, json);
const eq = (field: string, v: JsonValue) =>
  create(FilterSchema, { field, operator: FilterOperator.EQ, value: value(v) });
const isIn = (field: string, values: JsonValue[]) =>
  create(FilterSchema, { field, operator: FilterOperator.IN, values: values.map(value) });

/** The one violation a compile is refused with. */
function refusal(compile: () => unknown): { field: string; reason: string } {
  try {
    compile();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const violations = (error as ValidationError).violations;
    expect(violations).toHaveLength(1);
    return violations[0] as { field: string; reason: string };
  }
  throw new Error("the request was compiled");
}

interface ReportFields {
  dimensions?: string[];
  metrics?: string[];
  filters?: Filter[];
  orderBy?: OrderBy[];
}

const report = (fields: ReportFields) => () =>
  compileReport(create(RunReportRequestSchema, { ...base, ...fields }), "db", "acme");

describe("report input limits", () => {
  it("take up to 64 filters and refuse more, naming the list and the limit", () => {
    const filters = (n: number) => Array.from({ length: n }, () => eq("source", "google"));
    expect(report({ filters: filters(inputLimits.filters) })().params).toHaveProperty(`f${inputLimits.filters - 1}`);
    expect(refusal(report({ filters: filters(10_000) }))).toEqual({
      field: "filters",
      reason: "must have at most 64 filters (got 10000)",
    });
  });

  it("take up to 1000 values per filter and refuse more, naming the filter's values", () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
    const within = report({ filters: [eq("country", "DE"), isIn("source", values(1000))] })();
    expect(within.params.f1).toHaveLength(1000);
    expect(refusal(report({ filters: [eq("country", "DE"), isIn("source", values(1001))] }))).toEqual({
      field: "filters[1].values",
      reason: "must have at most 1000 values (got 1001)",
    });
  });

  it("refuse a filter value longer than 2048 characters, naming the value", () => {
    const long = "x".repeat(inputLimits.valueChars);
    expect(report({ filters: [eq("landing_path", long)] })().params.f0).toBe(long);
    expect(refusal(report({ filters: [eq("landing_path", `${long}x`)] }))).toEqual({
      field: "filters[0].value",
      reason: "must have at most 2048 characters (got 2049)",
    });
    expect(refusal(report({ filters: [isIn("source", ["a", "b", `${long}x`])] }))).toMatchObject({
      field: "filters[0].values[2]",
    });
  });

  it("refuse names longer than 128 characters wherever a name goes, without echoing them", () => {
    const name = "n".repeat(inputLimits.nameChars + 1);
    const cases: Array<[ReportFields, string]> = [
      [{ dimensions: ["source", name] }, "dimensions[1]"],
      [{ metrics: [name] }, "metrics[0]"],
      [{ filters: [eq(name, "x")] }, "filters[0].field"],
      [{ orderBy: [create(OrderBySchema, { field: name })] }, "order_by[0].field"],
    ];
    for (const [fields, field] of cases) {
      const violation = refusal(report(fields));
      expect(violation).toEqual({ field, reason: "must have at most 128 characters (got 129)" });
    }
  });

  it("bound the values of all filters together: 2000 of them, 32768 characters", () => {
    const values = (n: number, length = 4) => Array.from({ length: n }, (_, i) => String(i).padStart(length, "0"));
    const within = report({ filters: [isIn("source", values(1000)), isIn("medium", values(1000))] })();
    expect(within.params.f1).toHaveLength(1000);
    expect(
      refusal(report({ filters: [isIn("source", values(1000)), isIn("medium", values(1000)), eq("country", "DE")] })),
    ).toEqual({ field: "filters", reason: "must have at most 2000 filter values in all (got 2001)" });
    // 16 values of 2048 characters fill the budget exactly; one more character goes past it.
    const full = Array.from({ length: 16 }, (_, i) => eq("landing_path", String(i).padEnd(2048, "x")));
    expect(report({ filters: full })().params).toHaveProperty("f15");
    expect(refusal(report({ filters: [...full, eq("country", "D")] }))).toEqual({
      field: "filters",
      reason: "must have at most 32768 characters of filter values in all (filters[16].value goes past it)",
    });
  });

  it("refuse more sort keys than selectable columns", () => {
    const orderBy = Array.from({ length: 34 }, () => create(OrderBySchema, { field: "clicks" }));
    expect(refusal(report({ orderBy }))).toEqual({
      field: "order_by",
      reason: "must have at most 33 entries (got 34)",
    });
  });

  it("hold for a funnel's filters too, the totals across its steps", () => {
    const steps = [
      { name: "pageview", filters: Array.from({ length: 65 }, () => eq("source", "google")) },
      { name: "click", filters: [] },
    ];
    const violation = refusal(() => compileFunnel(create(GetFunnelRequestSchema, { range, steps }), "db", "acme"));
    expect(violation).toEqual({ field: "steps[0].filters", reason: "must have at most 64 filters (got 65)" });
    const wide = (name: string) => ({
      name,
      filters: [
        isIn(
          "source",
          Array.from({ length: 1000 }, (_, i) => `s${i}`),
        ),
      ],
    });
    const across = refusal(() =>
      compileFunnel(
        create(GetFunnelRequestSchema, { range, steps: [wide("pageview"), wide("click"), wide("conversion")] }),
        "db",
        "acme",
      ),
    );
    expect(across).toEqual({ field: "steps", reason: "must have at most 2000 filter values in all (got 2001)" });
  });
});
