import type { CapturedEvent, EventType } from "@trellis/store/events-table";

/** The kinds of captured event: the stored event's (EventType in ingest.proto without UNSPECIFIED). */
export { EVENT_TYPES, type EventType } from "@trellis/store/events-table";

/**
 * A raw captured event, as a tracking snippet or a server integration sends it (the captured
 * event of the event definition), plus the organization it belongs to. `properties` and
 * `headers` objects are frozen and may be shared between events.
 */
export interface GeneratedEvent extends CapturedEvent {
  /** The organization whose API key sends this event; not part of the event itself. */
  organizationId: string;
}

export const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});

/** Who sends a run of events: the fields every event of a session shares. */
export interface Sender {
  organizationId: string;
  visitorId: string;
  sessionId: string;
  userAgent: string;
  ip: string;
  headers: Readonly<Record<string, string>>;
}

/** Builds an event with every field set, in one shape (keeps property access monomorphic). */
export function createEvent(
  sender: Sender,
  type: EventType,
  ms: number,
  url: string,
  referrer: string,
  clickId = "",
): GeneratedEvent {
  return {
    eventId: "",
    type,
    time: new Date(ms),
    url,
    referrer,
    userAgent: sender.userAgent,
    ip: sender.ip,
    clickId,
    sessionId: sender.sessionId,
    visitorId: sender.visitorId,
    conversionName: "",
    value: 0,
    currency: "",
    name: "",
    properties: NO_PROPERTIES,
    headers: sender.headers,
    organizationId: sender.organizationId,
  };
}
