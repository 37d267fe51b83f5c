import { describe, expect, it } from "vitest";
import {
  createTimingCheck,
  MAX_CLOCK_SKEW_MS,
  MAX_SESSION_ACTIONS_PER_SECOND,
  type TimingEvent,
} from "../../../src/enrich/timing.js";

const receivedAt = new Date("2026-06-01T12:00:00.000Z");

function event(overrides: Partial<TimingEvent> = {}): TimingEvent {
  return { type: "pageview", time: new Date(receivedAt.getTime() - 1_000), receivedAt, sessionId: "s1", ...overrides };
}

describe("impossible timing", () => {
  it("allows a client clock up to five minutes ahead", () => {
    const check = createTimingCheck(100);
    expect(MAX_CLOCK_SKEW_MS).toBe(300_000);
    expect(check.isImpossible(event({ time: new Date(receivedAt.getTime() + 300_000) }), "org")).toBe(false);
    expect(check.isImpossible(event({ time: new Date(receivedAt.getTime() + 300_001) }), "org")).toBe(true);
  });

  it("accepts old events, which batching and offline clients delay", () => {
    const check = createTimingCheck(100);
    expect(check.isImpossible(event({ time: new Date(receivedAt.getTime() - 86_400_000) }), "org")).toBe(false);
  });

  it("flags the click or conversion that makes a session exceed five in one second", () => {
    const check = createTimingCheck(100);
    expect(MAX_SESSION_ACTIONS_PER_SECOND).toBe(5);
    const base = receivedAt.getTime() - 10_000;
    const results = [0, 100, 200, 300, 400, 500].map((offset, i) =>
      check.isImpossible(event({ type: i % 2 ? "conversion" : "click", time: new Date(base + offset) }), "org"),
    );
    expect(results).toEqual([false, false, false, false, false, true]);
  });

  it("counts clicks per organization and session, and ignores page views and custom events", () => {
    const check = createTimingCheck(100);
    const time = new Date(receivedAt.getTime() - 10_000);
    for (let i = 0; i < 10; i += 1) {
      expect(check.isImpossible(event({ type: "pageview", time }), "org")).toBe(false);
      expect(check.isImpossible(event({ type: "custom", time }), "org")).toBe(false);
    }
    for (let i = 0; i < 5; i += 1) {
      expect(check.isImpossible(event({ type: "click", time }), "org")).toBe(false);
      expect(check.isImpossible(event({ type: "click", time, sessionId: "s2" }), "org")).toBe(false);
      expect(check.isImpossible(event({ type: "click", time }), "other-org")).toBe(false);
    }
    expect(check.isImpossible(event({ type: "click", time }), "org")).toBe(true);
  });

  it("does not track clicks without a session", () => {
    const check = createTimingCheck(100);
    const time = new Date(receivedAt.getTime() - 10_000);
    for (let i = 0; i < 10; i += 1) {
      expect(check.isImpossible(event({ type: "click", time, sessionId: "" }), "org")).toBe(false);
    }
  });

  it("allows the same number of clicks spread over time", () => {
    const check = createTimingCheck(100);
    const base = receivedAt.getTime() - 60_000;
    for (let i = 0; i < 20; i += 1) {
      expect(check.isImpossible(event({ type: "click", time: new Date(base + i * 2_000) }), "org")).toBe(false);
    }
  });
});
