import { ResourceExhaustedError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { createAdmission } from "./admission.js";

/** Work that finishes when told to, recording when it started. */
function gate(started: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    work: async () => {
      started.push(name);
      await done;
      return name;
    },
    open: () => open(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("admission of long statements", () => {
  it("gives no organization more than its share, and lets the others in meanwhile", async () => {
    const admission = createAdmission({ perOrganization: 2, total: 3, maxWaiting: 10 });
    const started: string[] = [];
    const a = [gate(started, "a1"), gate(started, "a2"), gate(started, "a3")];
    const b = gate(started, "b1");
    const running = [...a.map((g) => admission.run("a", undefined, g.work)), admission.run("b", undefined, b.work)];
    await tick();
    // a3 waits for one of a's own, b1 starts at once.
    expect(started).toEqual(["a1", "a2", "b1"]);
    expect(admission.waiting).toBe(1);
    b.open();
    await tick();
    expect(started).toEqual(["a1", "a2", "b1"]);
    a[0]?.open();
    await tick();
    expect(started).toEqual(["a1", "a2", "b1", "a3"]);
    for (const g of a) g.open();
    expect(await Promise.all(running)).toEqual(["a1", "a2", "a3", "b1"]);
    expect(admission.active).toBe(0);
  });

  it("refuses when the line is full, with a time to retry", async () => {
    const admission = createAdmission({ perOrganization: 1, total: 1, maxWaiting: 1 });
    const started: string[] = [];
    const first = gate(started, "1");
    const second = gate(started, "2");
    const running = admission.run("a", undefined, first.work);
    const waiting = admission.run("b", undefined, second.work);
    await expect(admission.run("c", undefined, async () => "3")).rejects.toBeInstanceOf(ResourceExhaustedError);
    first.open();
    second.open();
    expect(await Promise.all([running, waiting])).toEqual(["1", "2"]);
  });

  it("takes a caller who gave up out of the line", async () => {
    const admission = createAdmission({ perOrganization: 1, total: 1, maxWaiting: 4 });
    const started: string[] = [];
    const first = gate(started, "1");
    const running = admission.run("a", undefined, first.work);
    const controller = new AbortController();
    const abandoned = admission.run("b", controller.signal, async () => "never");
    await tick();
    controller.abort(new Error("gone"));
    await expect(abandoned).rejects.toThrow("gone");
    expect(admission.waiting).toBe(0);
    first.open();
    await running;
    expect(started).toEqual(["1"]);
    expect(admission.active).toBe(0);
  });
});
