import type { Store } from "@trellis/store";
import { describe, expect, it } from "vitest";
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
