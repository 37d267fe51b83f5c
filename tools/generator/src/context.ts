import type { OrganizationTally } from "./ground-truth.js";
import { createIdFactory, IdKind } from "./ids.js";
import { seedWords } from "./prng.js";
import { createTouch, type Touch } from "./touches.js";

/** State shared by the actors of one run: the time span, id counters, the tallies. */
export interface SimulationContext {
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly tallies: readonly OrganizationTally[];
  /** Scratch object reused by every session's touch. */
  readonly touch: Touch;
  /** Next visitor number (also the index of the visitor's random stream). */
  nextVisitor(): number;
  visitorId(visitor: number): string;
  nextSessionId(): string;
  eventId(counter: number): string;
  /** Next order number of an organization's shop. */
  nextOrder(organization: number): number;
}

export function createSimulationContext(
  seed: number,
  startMs: number,
  endMs: number,
  tallies: readonly OrganizationTally[],
): SimulationContext {
  const id = createIdFactory(seedWords(seed));
  let visitors = 0;
  let sessions = 0;
  const orders = new Map<number, number>();
  return {
    seed,
    startMs,
    endMs,
    tallies,
    touch: createTouch(),
    nextVisitor: () => visitors++,
    visitorId: (visitor) => id(IdKind.visitor, visitor),
    nextSessionId: () => id(IdKind.session, sessions++),
    eventId: (counter) => id(IdKind.event, counter),
    nextOrder(organization) {
      const next = (orders.get(organization) ?? 100_000) + 1;
      orders.set(organization, next);
      return next;
    },
  };
}
