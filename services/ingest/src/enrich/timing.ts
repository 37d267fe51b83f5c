import type { EventType } from "./types.js";
import { createSlidingWindowCounter } from "./velocity.js";

/** How far a client clock may run ahead of the server's before an event counts as coming from the future. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** More clicks and conversions than this within one second of event time, in one session, is no person's doing. */
export const MAX_SESSION_ACTIONS_PER_SECOND = 5;

export interface TimingEvent {
  type: EventType;
  time: Date;
  receivedAt: Date;
  sessionId: string;
}

export interface TimingCheck {
  isImpossible(event: TimingEvent, organizationId: string): boolean;
}

/**
 * An event timed more than MAX_CLOCK_SKEW_MS after it was received, or a click or conversion that makes its session's
 * count exceed MAX_SESSION_ACTIONS_PER_SECOND (sessions are tracked per process, at most `maxSessions` at once).
 */
export function createTimingCheck(maxSessions: number): TimingCheck {
  const sessions = createSlidingWindowCounter(1000, maxSessions);
  return {
    isImpossible(event, organizationId) {
      const time = event.time.getTime();
      const future = time - event.receivedAt.getTime() > MAX_CLOCK_SKEW_MS;
      if (event.sessionId === "" || (event.type !== "click" && event.type !== "conversion")) return future;
      const burst = sessions.add(`${organizationId}\u0000${event.sessionId}`, time) > MAX_SESSION_ACTIONS_PER_SECOND;
      return future || burst;
    },
  };
}
