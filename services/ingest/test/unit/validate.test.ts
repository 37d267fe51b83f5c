import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventType } from "@trellis/contracts";
import { describe, expect, it } from "vitest";
import { validateEvents } from "../../src/domain/validate.js";

const receivedAt = new Date("2026-06-01T12:00:00Z");
const context = { receivedAt, retentionDays: 30 };
const good = {
  type: EventType.CLICK,
  time: timestampFromDate(new Date("2026-06-01T11:00:00Z")),
  url: "https://shop.example/landing?utm_source=google",
};

function errorsFor(overrides: Record<string, unknown>) {
  const event = create(EventSchema, { ...good, ...overrides } as Parameters<typeof create<typeof EventSchema>>[1]);
  return validateEvents([event], context).rejected.map((r) => `${r.field}: ${r.reason}`);
}

describe("event validation", () => {
  it("accepts a well-formed click and generates an id when none is given", () => {
    const { valid, rejected } = validateEvents([create(EventSchema, good)], context);
    expect(rejected).toEqual([]);
    expect(valid[0]?.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(valid[0]?.clientEventId).toBe(false);
    expect(valid[0]?.time.toISOString()).toBe("2026-06-01T11:00:00.000Z");
  });

  it("stamps events without a time with the time they were received", () => {
    const { valid } = validateEvents([create(EventSchema, { ...good, time: undefined })], context);
    expect(valid[0]?.time).toEqual(receivedAt);
  });

  it.each([
    [{ type: EventType.UNSPECIFIED }, "events[0].type: is required: one of click, pageview, conversion, custom"],
    [{ url: "" }, "events[0].url: is required for click events"],
    [{ url: "/relative/path" }, "events[0].url: must be an absolute URL such as https://example.com/page"],
    [{ url: "ftp://files.example/x" }, "events[0].url: must be an http or https URL"],
    [{ url: `https://e.example/${"a".repeat(9000)}` }, "events[0].url: must be at most 8192 characters (got 9018)"],
    [{ referrer: "not a url" }, "events[0].referrer: must be an absolute URL such as https://example.com/page"],
    [{ ip: "999.1.1.1" }, "events[0].ip: must be an IPv4 or IPv6 address"],
    [{ ip: "localhost" }, "events[0].ip: must be an IPv4 or IPv6 address"],
    [{ userAgent: "x".repeat(3000) }, "events[0].user_agent: must be at most 2048 characters (got 3000)"],
    [
      { userAgent: "bad \ud800 surrogate" },
      "events[0].user_agent: must be valid Unicode (it has an unpaired surrogate)",
    ],
    [{ sessionId: "nul\u0000byte" }, "events[0].session_id: must not contain NUL characters"],
    [{ eventId: "has spaces" }, "events[0].event_id: may contain only letters, digits, '.', '_', ':' and '-'"],
    [{ eventId: "e".repeat(200) }, "events[0].event_id: must be at most 128 characters (got 200)"],
    [
      { time: timestampFromDate(new Date("2026-06-01T12:10:00Z")) },
      "events[0].time: is more than 5 minutes in the future",
    ],
    [
      { time: timestampFromDate(new Date("2026-04-01T00:00:00Z")) },
      "events[0].time: is older than the organization's retention of 30 days",
    ],
    [{ type: EventType.CONVERSION, url: "" }, "events[0].conversion_name: is required for conversion events"],
    [
      { type: EventType.CONVERSION, conversionName: "purchase", value: -5 },
      "events[0].value: must be between 0 and 1000000000000",
    ],
    [
      { type: EventType.CONVERSION, conversionName: "purchase", value: Number.NaN },
      "events[0].value: must be a finite number",
    ],
    [
      { type: EventType.CONVERSION, conversionName: "purchase", currency: "usd" },
      "events[0].currency: must be an ISO 4217 code such as USD",
    ],
    [{ type: EventType.CUSTOM, url: "" }, "events[0].name: is required for custom events"],
    [
      { headers: { Cookie: "session=abc" } },
      "events[0].headers.cookie: must not be sent: credentials are never stored",
    ],
    [
      { properties: Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, "v"])) },
      "events[0].properties: must have at most 64 entries (got 70)",
    ],
    [{ properties: { k: "v".repeat(3000) } }, "events[0].properties.k: must be at most 2048 characters (got 3000)"],
    [
      { properties: { ["k".repeat(1000)]: "v" } },
      `events[0].properties.${"k".repeat(64)}…: must be at most 128 characters (got 1000)`,
    ],
    [
      { time: { seconds: -62_167_219_200n, nanos: 0 } },
      "events[0].time: must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z",
    ],
    [
      { time: timestampFromDate(new Date("1999-12-31T23:59:59Z")) },
      "events[0].time: must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z",
    ],
    [{ time: { seconds: 1_780_000_000n, nanos: -5 } }, "events[0].time: has nanos out of range"],
  ])("rejects bad input with the field and reason (case %#)", (overrides, expected) => {
    expect(errorsFor(overrides)).toEqual([expected]);
  });

  it("refuses times before 2000 even when the organization keeps events that long", () => {
    const longRetention = { receivedAt, retentionDays: 36_500 };
    const { rejected } = validateEvents(
      [create(EventSchema, { ...good, time: timestampFromDate(new Date("1990-06-01T00:00:00Z")) })],
      longRetention,
    );
    expect(rejected).toEqual([
      {
        index: 0,
        field: "events[0].time",
        reason: "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z",
      },
    ]);
  });

  it("keeps unicode text intact", () => {
    const { valid } = validateEvents(
      [create(EventSchema, { ...good, properties: { plan: "Prämie 🚀" }, userAgent: "Mozilla/5.0 (日本語)" })],
      context,
    );
    expect(valid[0]?.properties.plan).toBe("Prämie 🚀");
    expect(valid[0]?.userAgent).toBe("Mozilla/5.0 (日本語)");
  });

  it("validates each event on its own and reports its index", () => {
    const events = [
      create(EventSchema, { ...good, eventId: "a" }),
      create(EventSchema, { ...good, eventId: "b", ip: "nope" }),
      create(EventSchema, { ...good, eventId: "a" }),
      create(EventSchema, { ...good, eventId: "c", type: EventType.PAGEVIEW }),
    ];
    const { valid, rejected } = validateEvents(events, context);
    expect(valid.map((e) => e.eventId)).toEqual(["a", "c"]);
    expect(rejected).toEqual([
      { index: 1, field: "events[1].ip", reason: "must be an IPv4 or IPv6 address" },
      { index: 2, field: "events[2].event_id", reason: 'repeats the id of an earlier event in this batch ("a")' },
    ]);
  });

  it("lower-cases header names", () => {
    const { valid } = validateEvents(
      [create(EventSchema, { ...good, headers: { "Accept-Language": "de-DE" } })],
      context,
    );
    expect(valid[0]?.headers).toEqual({ "accept-language": "de-DE" });
  });
});
