import { seedDirect } from "@trellis/cli/seed";
import { createGenerator } from "@trellis/generator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

// Generated traffic of one shop, enriched and stored as ingest stores it, attributed by the
// API and compared with what the generator knows it produced: which channel each converting
// visitor arrived through first, last, and last other than direct.
let warehouse: TestWarehouse;
const generator = createGenerator({
  seed: 21,
  organizations: 1,
  totalEvents: 40_000,
  start: new Date("2026-09-01T00:00:00Z"),
  end: new Date("2026-09-21T00:00:00Z"),
});

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["shop"] });
  await seedDirect(warehouse.embedded.store, generator, {
    seed: 21,
    events: 40_000,
    retentionDays: 3650,
    organizationFor: () => "shop",
    enricher: { ipHashKey: "attribution-truth-test-key-0123456789" },
    label: "",
  });
}, 120_000);

afterAll(async () => {
  await warehouse?.close();
});

interface Comparison {
  models: Array<{ model: string; credits: Array<{ key: string; conversions: number; revenue: number }> }>;
  total_conversions: number;
  total_revenue: number;
}

describe("attribution of generated traffic against its ground truth", () => {
  it("credits first touch, last touch and last non-direct to the channels the generator used", async () => {
    const truth = generator.groundTruth().organizations[0];
    if (!truth) throw new Error("no ground truth");
    const response = await fetch(
      `${warehouse.url}/api/v1/analytics/attribution/models?start_date=2026-09-01&end_date=2026-09-21&models=first_touch,last_touch,last_non_direct`,
      { headers: { authorization: `Bearer ${warehouse.keys.shop}` } },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as Comparison;
    expect(body.total_conversions).toBe(truth.conversions);
    expect(body.total_revenue).toBeCloseTo(truth.revenue, 2);
    const expected = {
      ATTRIBUTION_MODEL_FIRST_TOUCH: "firstTouchConversions",
      ATTRIBUTION_MODEL_LAST_TOUCH: "lastTouchConversions",
      ATTRIBUTION_MODEL_LAST_NON_DIRECT: "lastNonDirectConversions",
    } as const;
    for (const model of body.models) {
      const field = expected[model.model as keyof typeof expected];
      const credited = Object.fromEntries(model.credits.map((c) => [c.key, c.conversions]));
      const known = Object.fromEntries(
        Object.entries(truth.channels)
          .map(([channel, counts]) => [channel, counts[field]] as const)
          .filter(([, conversions]) => conversions > 0),
      );
      expect(credited, model.model).toEqual(known);
    }
  });
});
