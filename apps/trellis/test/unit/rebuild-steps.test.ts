import type { Store } from "@trellis/store";
import { describe, expect, it } from "vitest";
import { RebuildStepError, rebuildDerivedTables } from "../../src/rebuild.js";

/** A store that records each statement's days and fails the statements of `failingDay`. */
function recordingStore(failingDay: string) {
  const steps: string[][] = [];
  const store = {
    database: "trellis",
    target: { database: "trellis" },
    async query() {
      return { rows: [{ rows: "1" }] };
    },
    async command({ name, params }: { name: string; params: { days: string[] } }) {
      if (name.startsWith("rebuild.remove_") && !steps.some((s) => s.join() === params.days.join()))
        steps.push(params.days);
      if (params.days.includes(failingDay)) throw new Error("Timeout exceeded: elapsed 30.0 seconds");
    },
  } as unknown as Store;
  return { store, steps };
}

describe("rebuildDerivedTables", () => {
  const days = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"];

  it("takes the days a few at a time, in order", async () => {
    const { store, steps } = recordingStore("none");
    const done: number[] = [];
    const outcome = await rebuildDerivedTables(store, "acme", days, 2, (n) => done.push(n));
    expect(steps).toEqual([days.slice(0, 2), days.slice(2, 4), days.slice(4)]);
    expect(done).toEqual([2, 2, 1]);
    expect(outcome.days).toEqual(days);
    expect(outcome.written.landing_sessions).toBe(3);
  });

  it("stops at a failed step, naming its days, the days touched, and how to go on", async () => {
    const { store, steps } = recordingStore("2026-01-03");
    const failure = await rebuildDerivedTables(store, "acme", days, 2).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RebuildStepError);
    const error = failure as RebuildStepError;
    expect(steps).toEqual([days.slice(0, 2), days.slice(2, 4)]);
    expect(error.organizationId).toBe("acme");
    expect(error.touched).toEqual(days.slice(0, 4));
    expect(error.message).toContain("rebuilding acme 2026-01-03…2026-01-04 failed: Timeout exceeded");
    expect(error.message).toContain("run `trellis rebuild --org acme --from 2026-01-03` again");
    expect(error.message).toContain("--days-per-step");
  });
});
