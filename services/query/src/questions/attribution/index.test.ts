import { create } from "@bufbuild/protobuf";
import { AttributionSettingsSchema, CompareAttributionModelsRequestSchema, DateRangeSchema } from "@trellis/contracts";
import { describe, expect, it } from "vitest";
import { attributionComparison } from "./index.js";

const now = new Date("2024-04-01T00:00:00Z");
const request = (lookbackDays?: number) =>
  create(CompareAttributionModelsRequestSchema, {
    range: create(DateRangeSchema, { startDate: "2024-03-10", endDate: "2024-03-12", timeZone: "UTC" }),
    ...(lookbackDays ? { settings: create(AttributionSettingsSchema, { lookbackDays }) } : {}),
  });

describe("the attribution comparison's data range", () => {
  it("reaches back its lookback, and a day for the time zone", () => {
    expect(attributionComparison.dataRange(request(7), now)).toMatchObject({
      startDate: "2024-03-02",
      endDate: "2024-03-12",
    });
  });

  it("takes the default lookback of 30 days when none is asked", () => {
    expect(attributionComparison.dataRange(request(), now)?.startDate).toBe("2024-02-08");
  });

  it("leaves a range it cannot read to the question's own refusal", () => {
    const bad = create(CompareAttributionModelsRequestSchema, {
      range: create(DateRangeSchema, { startDate: "not a date", endDate: "2024-03-12" }),
    });
    expect(attributionComparison.dataRange(bad, now)?.startDate).toBe("not a date");
  });
});
