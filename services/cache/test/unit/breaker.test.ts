import { describe, expect, it } from "vitest";
import { type BreakerState, createBreaker, type Ticket } from "../../src/domain/breaker.js";

function setup(failureThreshold = 3, openMs = 1_000) {
  let now = 0;
  const changes: BreakerState[] = [];
  const breaker = createBreaker({
    failureThreshold,
    openMs,
    clock: () => now,
    onChange: (state) => changes.push(state),
  });
  return {
    breaker,
    changes,
    advance(ms: number) {
      now += ms;
    },
  };
}

const admitted = (ticket: Ticket | undefined): Ticket => {
  if (!ticket) throw new Error("expected the breaker to admit the call");
  return ticket;
};

describe("circuit breaker", () => {
  it("opens after enough failures in the window and refuses calls while open", () => {
    const { breaker, changes } = setup(3);
    for (let i = 0; i < 2; i++) breaker.failure(admitted(breaker.admit()));
    breaker.success(admitted(breaker.admit()));
    expect(breaker.state).toBe("closed");
    breaker.failure(admitted(breaker.admit()));
    expect(breaker.state).toBe("open");
    expect(breaker.admit()).toBeUndefined();
    expect(changes).toEqual(["open"]);
  });

  it("forgets failures that slid out of the window", () => {
    const { breaker } = setup(3);
    breaker.failure(admitted(breaker.admit()));
    breaker.failure(admitted(breaker.admit()));
    for (let i = 0; i < 20; i++) breaker.success(admitted(breaker.admit()));
    breaker.failure(admitted(breaker.admit()));
    expect(breaker.state).toBe("closed");
  });

  it("lets one probe through after the open period; its success closes the breaker", () => {
    const { breaker, advance, changes } = setup(1, 1_000);
    breaker.failure(admitted(breaker.admit()));
    advance(999);
    expect(breaker.admit()).toBeUndefined();
    advance(1);
    expect(breaker.state).toBe("half-open");
    const probe = admitted(breaker.admit());
    expect(probe.probe).toBe(true);
    expect(breaker.admit()).toBeUndefined();
    breaker.success(probe);
    expect(breaker.state).toBe("closed");
    expect(changes).toEqual(["open", "half-open", "closed"]);
  });

  it("opens again when the probe fails", () => {
    const { breaker, advance } = setup(1, 1_000);
    breaker.failure(admitted(breaker.admit()));
    advance(1_000);
    breaker.failure(admitted(breaker.admit()));
    expect(breaker.state).toBe("open");
    advance(500);
    expect(breaker.admit()).toBeUndefined();
  });

  it("ignores outcomes of calls admitted before it opened", () => {
    const { breaker, advance } = setup(2, 1_000);
    const late = Array.from({ length: 10 }, () => admitted(breaker.admit()));
    breaker.failure(admitted(breaker.admit()));
    breaker.failure(admitted(breaker.admit()));
    expect(breaker.state).toBe("open");
    advance(1_000);
    const probe = admitted(breaker.admit());
    for (const ticket of late) breaker.success(ticket);
    expect(breaker.state).toBe("half-open");
    breaker.success(probe);
    for (const ticket of late) breaker.failure(ticket);
    expect(breaker.state).toBe("closed");
  });
});
