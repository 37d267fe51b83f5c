import { equals, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { toProtoEvent } from "@trellis/cli/seed";
import { EventSchema, EventType } from "@trellis/contracts";
import { createGenerator } from "@trellis/generator";
import { EventJsonError, eventFromJson, eventRecordFromJson } from "@trellis/platform";
import { describe, expect, it } from "vitest";

function generatedEvents(count: number): JsonValue[] {
  const generator = createGenerator({
    seed: 5,
    organizations: 3,
    totalEvents: count,
    start: new Date("2026-01-01T00:00:00Z"),
    end: new Date("2026-01-03T00:00:00Z"),
  });
  const out: JsonValue[] = [];
  for (const batch of generator.batches(1_000)) for (const e of batch) out.push(toJson(EventSchema, toProtoEvent(e)));
  return out;
}

function refusalBy(read: (value: unknown) => unknown, value: unknown): { field: string; reason: string } {
  try {
    read(value);
  } catch (error) {
    if (error instanceof EventJsonError) return { field: error.field, reason: error.message };
    throw error;
  }
  throw new Error("accepted");
}

/** Why an event is refused: the same field and reason from both readers. */
function refusal(value: unknown): { field: string; reason: string } {
  const message = refusalBy(eventFromJson, value);
  expect(refusalBy(eventRecordFromJson, value)).toEqual(message);
  return message;
}

describe("events read from JSON", () => {
  it("reads generated traffic exactly as protobuf's own JSON reader does", () => {
    const events = generatedEvents(3_000);
    expect(events.length).toBeGreaterThan(2_000);
    for (const json of events) expect(equals(EventSchema, eventFromJson(json), fromJson(EventSchema, json))).toBe(true);
  });

  it("reads the same events as records, each field as the message has it and the time to the millisecond", () => {
    const events = generatedEvents(3_000);
    for (const json of events) {
      const { $typeName, $unknown, time, ...fields } = eventFromJson(json);
      const record = eventRecordFromJson(json);
      expect(record).toEqual({ ...fields, time: time && new Date(timestampMs(time)) });
    }
    const sparse = eventRecordFromJson({ type: "EVENT_TYPE_CLICK", headers: null });
    expect(sparse).toMatchObject({ type: EventType.CLICK, time: undefined, headers: {}, properties: {}, value: 0 });
    expect(eventRecordFromJson({ time: "2026-01-01T10:00:00.250+01:00" }).time).toEqual(
      new Date("2026-01-01T09:00:00.250Z"),
    );
  });

  it("takes proto and JSON names, enum names and numbers, numeric strings and nulls", () => {
    const event = eventFromJson({
      event_id: "e1",
      type: "EVENT_TYPE_CONVERSION",
      time: "2026-01-01T10:00:00.250+01:00",
      userAgent: "ua",
      value: "12.5",
      conversion_name: "purchase",
      properties: { plan: "pro" },
      headers: null,
      referrer: null,
    });
    expect(event).toMatchObject({
      eventId: "e1",
      type: EventType.CONVERSION,
      userAgent: "ua",
      value: 12.5,
      conversionName: "purchase",
      properties: { plan: "pro" },
      headers: {},
      referrer: "",
    });
    expect(event.time?.seconds).toBe(BigInt(Date.parse("2026-01-01T09:00:00Z") / 1000));
    expect(event.time?.nanos).toBe(250_000_000);
    expect(eventFromJson({ type: 3 }).type).toBe(3);
  });

  it("names the field of anything it cannot read", () => {
    expect(refusal({ type: "EVENT_TYPE_NOPE" }).field).toBe("type");
    expect(refusal({ time: "yesterday" })).toEqual({
      field: "time",
      reason: 'expected an RFC 3339 time such as 2026-01-01T12:00:00Z, got "yesterday"',
    });
    expect(refusal({ value: "lots" }).field).toBe("value");
    expect(refusal({ url: 42 })).toEqual({ field: "url", reason: "expected a string, got number" });
    expect(refusal({ headers: { accept: 1 } }).field).toBe("headers.accept");
    expect(refusal({ headers: ["x"] }).field).toBe("headers");
    expect(refusal({ organization_id: "globex" })).toEqual({
      field: "organization_id",
      reason: "is not a field of an event",
    });
    expect(refusal("click").field).toBe("");
    expect(refusal(null).field).toBe("");
  });

  it("refuses times that are not on the calendar instead of rolling them over", () => {
    expect(refusal({ time: "2026-02-30T10:00:00Z" })).toEqual({
      field: "time",
      reason: '"2026-02-30T10:00:00Z" is not a calendar date',
    });
    expect(refusal({ time: "2026-04-31T10:00:00+02:00" }).reason).toContain("is not a calendar date");
    expect(refusal({ time: "2026-01-01T24:00:00Z" }).reason).toContain("is not a time of day");
    expect(refusal({ time: "0000-01-01T00:00:00Z" }).reason).toContain("must be between");
    expect(refusal({ time: "2026-01-01T10:00:00" }).reason).toContain("expected an RFC 3339 time");
    expect(refusal({ time: 1767225600 }).reason).toContain("expected an RFC 3339 time");
    const leap = eventFromJson({ time: "2024-02-29T23:59:59.123456789Z" });
    expect(leap.time?.seconds).toBe(BigInt(Date.parse("2024-02-29T23:59:59Z") / 1000));
    expect(leap.time?.nanos).toBe(123_456_789);
  });

  it("names an unknown field by at most 64 characters of it, and quotes values as briefly", () => {
    const long = "k".repeat(100_000);
    expect(refusal({ [long]: 1 })).toEqual({ field: `${"k".repeat(64)}…`, reason: "is not a field of an event" });
    expect(refusal({ headers: { [long]: 1 } }).field).toBe(`headers.${"k".repeat(64)}…`);
    expect(refusal({ value: long }).reason).toBe(`expected a number, got "${"k".repeat(64)}…"`);
  });
});
