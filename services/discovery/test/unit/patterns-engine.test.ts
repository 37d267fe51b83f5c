import type { Store } from "@trellis/store";
import { describe, expect, it } from "vitest";
import { joinSeries } from "../../src/patterns/compile.js";
import { canSeparateSeries } from "../../src/patterns/run.js";

/** A store whose engine question fails `failures` times, then answers that the engine knows the setting. */
function engineAsking(failures: number) {
  const asked: string[] = [];
  const store = {
    async query(statement: { name: string; organizationId: string | null }) {
      asked.push(`${statement.name}:${statement.organizationId}`);
      if (asked.length <= failures) throw new Error("Not enough privileges to read system.settings");
      return { rows: [{ known: "1" }], elapsedMs: 1 };
    },
  } as unknown as Store;
  return { store, asked };
}

describe("asking the engine whether the separate series can run", () => {
  it("takes the one pass when the question fails, asks again on the next call, then remembers the answer", async () => {
    const { store, asked } = engineAsking(1);
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields) };
    expect(await canSeparateSeries(store, logger)).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(await canSeparateSeries(store, logger)).toBe(true);
    expect(await canSeparateSeries(store, logger)).toBe(true);
    // Two questions in all, over no organization's data.
    expect(asked).toEqual(["discovery.patterns.engine:null", "discovery.patterns.engine:null"]);
  });
});

describe("joining the separate shape's groups to their series", () => {
  it("gives each group its series by key, and a group without one no day, as the one pass does", () => {
    const group = (key: string, host: string | null, u: number) => ({
      key,
      kind: "group" as const,
      row: JSON.stringify({ a_referrer_host: host, u }),
    });
    // Days 3 and 5 of the window, then their sessions, events, conversions, revenue and converting sessions.
    const daily = [
      [3, 5],
      [1, 2],
      [1, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    const rows = joinSeries<Record<string, unknown>>([
      { key: "1:2", kind: "series", row: JSON.stringify({ daily, active_days: 1 }) },
      group("1:2", "news.example", 3),
      // Only attributed sessions: the series pass reads no day of it.
      group("1:3", "ads.example", 0),
    ]);
    expect(rows).toEqual([
      { a_referrer_host: "news.example", u: 3, daily, active_days: 1 },
      { a_referrer_host: "ads.example", u: 0, daily: [[], [], [], [], [], []], active_days: 0 },
    ]);
  });
});
