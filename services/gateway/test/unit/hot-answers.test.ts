import { createOrganizationEpochs } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { createHotAnswers } from "../../src/rest/hot-answers.js";

function setup(options: { maxAgeMs?: number; maxBytes?: number } = {}) {
  let time = 1_000;
  const epochs = createOrganizationEpochs();
  const hot = createHotAnswers({
    maxAgeMs: options.maxAgeMs ?? 250,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    epochs,
    now: () => time,
  });
  return {
    hot,
    epochs,
    advanceClock: (ms: number) => {
      time += ms;
    },
  };
}

const body = (text: string) => Buffer.from(text);

describe("gateway hot answers", () => {
  it("serves an answer again for the same organization and request only", () => {
    const { hot } = setup();
    hot.set("acme", "/traffic?a=1", hot.epochOf("acme"), body("acme-1"));
    expect(hot.get("acme", "/traffic?a=1")?.toString()).toBe("acme-1");
    expect(hot.get("globex", "/traffic?a=1")).toBeUndefined();
    expect(hot.get("acme", "/traffic?a=2")).toBeUndefined();
  });

  it("retires an answer once its window has passed", () => {
    const { hot, advanceClock } = setup({ maxAgeMs: 250 });
    hot.set("acme", "/q", hot.epochOf("acme"), body("x"));
    advanceClock(249);
    expect(hot.get("acme", "/q")?.toString()).toBe("x");
    advanceClock(1);
    expect(hot.get("acme", "/q")).toBeUndefined();
  });

  it("retires every answer of an organization whose epoch moved, and no other's", () => {
    const { hot, epochs } = setup();
    hot.set("acme", "/q", hot.epochOf("acme"), body("a"));
    hot.set("globex", "/q", hot.epochOf("globex"), body("g"));
    epochs.advance("acme");
    expect(hot.get("acme", "/q")).toBeUndefined();
    expect(hot.get("globex", "/q")?.toString()).toBe("g");
  });

  it("never stores an answer computed while the organization changed", () => {
    const { hot, epochs } = setup();
    const before = hot.epochOf("acme");
    epochs.advance("acme");
    hot.set("acme", "/q", before, body("computed before the change"));
    expect(hot.get("acme", "/q")).toBeUndefined();
  });

  it("keeps at most maxBytes of answers, dropping the least recently used", () => {
    const { hot } = setup({ maxBytes: 64 });
    hot.set("acme", "/1", 0, Buffer.alloc(30));
    hot.set("acme", "/2", 0, Buffer.alloc(20));
    hot.set("acme", "/3", 0, Buffer.alloc(20));
    expect(hot.get("acme", "/1")).toBeUndefined();
    expect(hot.get("acme", "/3")).toBeDefined();
  });

  it("is off with a zero window", () => {
    expect(setup({ maxAgeMs: 0 }).hot.enabled).toBe(false);
    expect(setup().hot.enabled).toBe(true);
  });
});
