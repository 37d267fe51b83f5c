import type { RawEventInput } from "../../../src/enrich/index.js";

/** A plain pageview from `ip`: the geo tests vary nothing else. */
export function pageviewFrom(ip: string): RawEventInput {
  return {
    type: "pageview",
    time: new Date("2026-06-01T12:00:00Z"),
    receivedAt: new Date("2026-06-01T12:00:01Z"),
    url: "https://shop.example/",
    referrer: "",
    userAgent: "",
    ip,
    clickId: "",
    headers: {},
    sessionId: "",
    visitorId: "v",
  };
}
