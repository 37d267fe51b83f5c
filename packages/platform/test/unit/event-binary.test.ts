import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { type Event, EventSchema, EventType } from "@trellis/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import {
  DELIMITED_EVENTS_CONTENT_TYPE,
  decodeEventRecordBatchDelimited,
  frameDelimited,
  isDelimitedEvents,
} from "../../src/event-binary.js";

/** What the record of a message must be: its fields, its time a Date cut to the millisecond. */
function recordOf(event: Event) {
  const { $typeName, $unknown, time, ...fields } = event;
  return { ...fields, time: time && new Date(Number(time.seconds) * 1000 + Math.floor(time.nanos / 1_000_000)) };
}

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom("", "é", "日本", "😀", "a\u0000b"));
// "__proto__" aside: the runtime drops such an entry (its own test below says what is kept).
const map = fc.dictionary(
  text.filter((key) => key !== "__proto__"),
  text,
  { maxKeys: 12 },
);
const event = fc.record({
  eventId: text,
  type: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4), fc.integer({ min: -5, max: 1_000 })),
  time: fc.option(
    fc.record({
      seconds: fc.bigInt({ min: 946_684_800n, max: 4_102_444_799n }),
      nanos: fc.integer({ min: 0, max: 999_999_999 }),
    }),
    { nil: undefined },
  ),
  url: text,
  referrer: text,
  userAgent: text,
  ip: text,
  clickId: text,
  sessionId: text,
  visitorId: text,
  conversionName: text,
  value: fc.oneof(fc.double(), fc.constantFrom(0, -0, 1e308, Number.NaN, Number.POSITIVE_INFINITY)),
  currency: text,
  properties: map,
  headers: map,
  name: text,
});

const decode = (messages: Uint8Array[]) => decodeEventRecordBatchDelimited(frameDelimited(messages), "fallback");

describe("length-delimited Event messages", () => {
  it("read into the same events the protobuf runtime reads, field by field", () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 20 }), (inits) => {
        const messages = inits.map((init) => toBinary(EventSchema, create(EventSchema, init)));
        const batch = decode(messages);
        expect(batch.rejected).toEqual([]);
        expect(batch.positions).toEqual(messages.map((_, i) => i));
        expect(batch.events).toEqual(messages.map((bytes) => recordOf(fromBinary(EventSchema, bytes))));
      }),
      { numRuns: 300 },
    );
  });

  it("refuse one event whose bytes are not a message, naming it, and keep its neighbours", () => {
    const good = toBinary(EventSchema, create(EventSchema, { eventId: "a", type: EventType.CLICK }));
    // A string field (url, 4) that says it has 50 bytes and has 2.
    const truncated = new Uint8Array([0x22, 50, 0x68, 0x69]);
    const batch = decode([good, truncated, good]);
    expect(batch.events.map((e) => e.eventId)).toEqual(["a", "a"]);
    expect(batch.positions).toEqual([0, 2]);
    expect(batch.rejected).toEqual([
      { index: 1, field: "events[1]", reason: "is not a valid Event message: a value of 50 bytes runs past the end" },
    ]);
  });

  it("name the field whose wire type is not its own, and refuse nanos out of range", () => {
    const wrongType = new BinaryWriter().tag(4, 0).uint32(7).finish();
    const badNanos = new BinaryWriter()
      .tag(3, 2)
      .fork()
      .tag(1, 0)
      .int64(1_767_225_600)
      .tag(2, 0)
      .int32(1_000_000_000)
      .join()
      .finish();
    const negativeNanos = new BinaryWriter().tag(3, 2).fork().tag(2, 0).int32(-1).join().finish();
    expect(decode([wrongType, badNanos, negativeNanos]).rejected).toEqual([
      { index: 0, field: "events[0].url", reason: "has wire type 0, not that of its field" },
      { index: 1, field: "events[1].time", reason: "has nanos out of range" },
      { index: 2, field: "events[2].time", reason: "has nanos out of range" },
    ]);
  });

  it("refuse an event with text that is not UTF-8, naming its field, and keep U+FFFD that was sent", () => {
    const notUtf8 = new BinaryWriter()
      .tag(1, 2)
      .string("e1")
      .tag(6, 2)
      .bytes(new Uint8Array([0x61, 0xff, 0xfe]))
      .finish();
    const inMap = new BinaryWriter()
      .tag(15, 2)
      .bytes(
        new BinaryWriter()
          .tag(1, 2)
          .string("accept")
          .tag(2, 2)
          .bytes(new Uint8Array([0xc0, 0x80]))
          .finish(),
      )
      .finish();
    const replacement = toBinary(EventSchema, create(EventSchema, { url: "https://x.test/\uFFFD" }));
    const batch = decode([notUtf8, inMap, replacement]);
    expect(batch.rejected).toEqual([
      { index: 0, field: "events[0].user_agent", reason: "is not valid UTF-8" },
      { index: 1, field: "events[1].headers", reason: "is not valid UTF-8" },
    ]);
    expect(batch.events.map((e) => e.url)).toEqual(["https://x.test/\uFFFD"]);
  });

  it("skip fields this version does not know, groups included", () => {
    const known = toBinary(EventSchema, create(EventSchema, { eventId: "e1", url: "https://x.test/" }));
    const writer = new BinaryWriter().tag(99, 0).uint64(123n).tag(100, 2).string("later").tag(101, 5).fixed32(9);
    writer.tag(102, 1).fixed64(1n).tag(103, 3).tag(1, 0).uint32(1).tag(103, 4);
    const withUnknown = new Uint8Array([...writer.finish(), ...known]);
    expect(decode([withUnknown]).events).toEqual([recordOf(fromBinary(EventSchema, known))]);
  });

  it("keep a map key named __proto__ as an entry, not the map's prototype", () => {
    const entry = (key: string, value: string) =>
      new BinaryWriter().tag(1, 2).string(key).tag(2, 2).string(value).finish();
    const bytes = new BinaryWriter()
      .tag(14, 2)
      .bytes(entry("__proto__", "x"))
      .tag(14, 2)
      .bytes(entry("plan", "pro"))
      .finish();
    const [record] = decode([bytes]).events;
    expect(Object.getPrototypeOf(record?.properties)).toBe(Object.prototype);
    expect(Object.entries(record?.properties ?? {})).toEqual([
      ["__proto__", "x"],
      ["plan", "pro"],
    ]);
  });

  it("refuse a body whose framing is broken, or that holds no event", () => {
    const body = frameDelimited([toBinary(EventSchema, create(EventSchema, { eventId: "a" }))]);
    const cut = body.subarray(0, body.length - 1);
    expect(() => decodeEventRecordBatchDelimited(cut, "")).toThrowError(ValidationError);
    try {
      decodeEventRecordBatchDelimited(cut, "");
    } catch (error) {
      expect((error as ValidationError).violations[0]?.field).toBe("body");
    }
    expect(() => decodeEventRecordBatchDelimited(new Uint8Array(0), "")).toThrowError(/must not be empty/);
  });

  it("is named by its media type, parameters and case aside", () => {
    expect(isDelimitedEvents(DELIMITED_EVENTS_CONTENT_TYPE)).toBe(true);
    expect(isDelimitedEvents("Application/X-Protobuf-Delimited; charset=binary")).toBe(true);
    expect(isDelimitedEvents("application/json")).toBe(false);
    expect(isDelimitedEvents("application/x-protobuf")).toBe(false);
  });
});
