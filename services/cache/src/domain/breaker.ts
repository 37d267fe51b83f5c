export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Failures among the last `window` calls that open the breaker. */
  failureThreshold: number;
  window?: number;
  /** How long the breaker stays open before it lets one probe through. */
  openMs: number;
  clock?: () => number;
  onChange?: (state: BreakerState, previous: BreakerState) => void;
}

/** Permission for one call; its outcome must be reported through it. */
export interface Ticket {
  readonly probe: boolean;
}

/**
 * A circuit breaker over a sliding window of outcomes. Closed: calls go through and their
 * outcomes are counted. Open: calls are refused until `openMs` has passed. Half-open: one
 * probe goes through; its success closes the breaker, its failure opens it again. Outcomes
 * of calls admitted before the breaker opened are ignored, so a burst of timeouts from one
 * stall opens it once.
 */
export function createBreaker(options: BreakerOptions) {
  const now = options.clock ?? Date.now;
  const windowSize = options.window ?? 20;
  const outcomes: boolean[] = [];
  let failures = 0;
  let state: BreakerState = "closed";
  let openUntil = 0;
  let probing = false;
  let epoch = 0;

  function set(next: BreakerState): void {
    if (next === state) return;
    const previous = state;
    state = next;
    options.onChange?.(next, previous);
  }

  function open(): void {
    openUntil = now() + options.openMs;
    probing = false;
    outcomes.length = 0;
    failures = 0;
    epoch++;
    set("open");
  }

  function record(ok: boolean): void {
    outcomes.push(ok);
    if (!ok) failures++;
    if (outcomes.length > windowSize && outcomes.shift() === false) failures--;
    if (failures >= options.failureThreshold) open();
  }

  const tickets = new WeakMap<Ticket, number>();

  return {
    /** A ticket when the call may go through, undefined when the breaker refuses it. */
    admit(): Ticket | undefined {
      if (state === "closed") {
        const ticket = { probe: false };
        tickets.set(ticket, epoch);
        return ticket;
      }
      if (probing || now() < openUntil) return undefined;
      probing = true;
      set("half-open");
      const ticket = { probe: true };
      tickets.set(ticket, epoch);
      return ticket;
    },
    success(ticket: Ticket): void {
      if (tickets.get(ticket) !== epoch) return;
      if (ticket.probe) {
        probing = false;
        outcomes.length = 0;
        failures = 0;
        epoch++;
        set("closed");
        return;
      }
      if (state === "closed") record(true);
    },
    failure(ticket: Ticket): void {
      if (tickets.get(ticket) !== epoch) return;
      if (ticket.probe) {
        open();
        return;
      }
      if (state === "closed") record(false);
    },
    get state(): BreakerState {
      if (state === "open" && now() >= openUntil) return "half-open";
      return state;
    },
  };
}

export type Breaker = ReturnType<typeof createBreaker>;
