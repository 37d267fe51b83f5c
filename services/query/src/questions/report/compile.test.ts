import { create } from "@bufbuild/protobuf";
import { RunReportRequestSchema } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { compileReport, reportLimits } from "./compile.js";
import { assertWithinLimit } from "./run.js";

const base = { metrics: ["events"], dimensions: ["source"], range: { startDate: "2026-01-01", endDate: "2026-01-31" } };

describe("report statements", () => {
  it("page with window functions only when a page is asked for", () => {
    const paged = compileReport(create(RunReportRequestSchema, { ...base, limit: 50, offset: 100 }), "db", "acme");
    expect(paged.paged).toBe(true);
    expect(paged.sql).toContain("row_number() OVER");
    expect(paged.params).toMatchObject({ offset: 100, offset_end: 150 });
    const whole = compileReport(create(RunReportRequestSchema, { ...base, limit: reportLimits.maxRows }), "db", "acme");
    expect(whole.paged).toBe(false);
    expect(whole.sql).not.toContain("OVER");
    expect(whole.params).toMatchObject({ row_limit: reportLimits.maxRows + 2 });
  });

  it("refuse an unpaged answer over the limit instead of cutting it", () => {
    const whole = compileReport(create(RunReportRequestSchema, { ...base, limit: reportLimits.maxRows }), "db", "acme");
    expect(() => assertWithinLimit(whole, reportLimits.maxRows)).not.toThrow();
    expect(() => assertWithinLimit(whole, reportLimits.maxRows + 1)).toThrow(ValidationError);
    const paged = compileReport(create(RunReportRequestSchema, { ...base, limit: 10 }), "db", "acme");
    expect(() => assertWithinLimit(paged, 11)).not.toThrow();
  });

  it("bind the organization and never splice it into the text", () => {
    const compiled = compileReport(create(RunReportRequestSchema, base), "db", "o'rg");
    expect(compiled.sql).toContain("organization_id = {organization_id:String}");
    expect(compiled.sql).not.toContain("o'rg");
    expect(compiled.params.organization_id).toBe("o'rg");
  });
});
