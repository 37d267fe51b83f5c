import { describe, expect, it } from "vitest";
import { createGenerator } from "../../src/index.js";
import { generateAll, groupBy, SMALL_RUN, smallRun } from "./helpers.js";

const DAY = 86_400_000;

describe("volume", () => {
  it.each([
    { name: "a month of a dozen organizations", options: SMALL_RUN },
    {
      name: "one day of one organization",
      options: { ...SMALL_RUN, organizations: 1, totalEvents: 30_000, end: new Date(SMALL_RUN.start.getTime() + DAY) },
    },
    {
      name: "a quarter of 300 organizations",
      options: {
        ...SMALL_RUN,
        organizations: 300,
        totalEvents: 120_000,
        end: new Date(SMALL_RUN.start.getTime() + 90 * DAY),
      },
    },
  ])("comes within 5% of totalEvents: $name", ({ options }) => {
    const generator = createGenerator(options);
    let count = 0;
    for (const batch of generator.batches(10_000)) count += batch.length;
    expect(Math.abs(count - options.totalEvents) / options.totalEvents).toBeLessThan(0.05);
    expect(generator.groundTruth().events).toBe(count);
  });

  it("skews organization sizes: the first is the largest by far, shares fall off like a power law", () => {
    const generator = createGenerator({ ...SMALL_RUN, organizations: 1000 });
    const shares = generator.organizations.map((o) => o.share);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeLessThanOrEqual(shares[i - 1] as number);
    expect(shares[0]).toBeGreaterThan(0.08);
    expect(shares[0]).toBeGreaterThan(10 * (shares[99] as number));
    const topTen = shares.slice(0, 10).reduce((a, b) => a + b, 0);
    expect(topTen).toBeGreaterThan(0.3);
    expect(generator.organizations[0]?.id).toBe("org_0001");
    expect(generator.organizations[999]?.id).toBe("org_1000");
    expect(new Set(generator.organizations.map((o) => o.domain)).size).toBe(1000);
  });

  it("emits the most events for organization 0, in line with the planned shares", () => {
    const { events, generator } = smallRun();
    const counts = groupBy(events, (e) => e.organizationId);
    const sizes = generator.organizations.map((o) => counts.get(o.id)?.length ?? 0);
    expect(Math.max(...sizes)).toBe(sizes[0]);
    generator.organizations.forEach((org, i) => {
      const planned = org.share * SMALL_RUN.totalEvents;
      if (planned > 5_000) expect(Math.abs((sizes[i] as number) - planned) / planned).toBeLessThan(0.15);
    });
  });

  it("names organizations with the prefix, zero-padded", () => {
    const ids = createGenerator({ ...SMALL_RUN, organizations: 3, organizationIdPrefix: "acme" }).organizations.map(
      (o) => o.id,
    );
    expect(ids).toEqual(["acme_0001", "acme_0002", "acme_0003"]);
  });

  it("follows a daily rhythm: night hours are quieter than the day", () => {
    const { events } = generateAll({ ...SMALL_RUN, organizations: 1, totalEvents: 40_000 });
    const byHour = new Array<number>(24).fill(0);
    for (const e of events) byHour[e.time.getUTCHours()] = (byHour[e.time.getUTCHours()] ?? 0) + 1;
    const quietest = Math.min(...byHour);
    const busiest = Math.max(...byHour);
    expect(busiest).toBeGreaterThan(3 * quietest);
  });
});
