import { create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { IngestEventsResponseSchema, PatternSchema } from "@trellis/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withRepeatedStringsEncoded } from "../../src/repeated-strings.js";

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.constantFrom("", "é", "日本", "😀", "a\u0000b", "x".repeat(200), "y".repeat(20_000)),
);

describe("withRepeatedStringsEncoded", () => {
  it("writes the bytes a parser reads as the same repeated field, every other field kept", () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 40 }), fc.nat(), text, (ids, accepted, batchId) => {
        const message = create(IngestEventsResponseSchema, {
          accepted,
          acceptedEventIds: ids,
          batchId,
          rejected: [{ index: 3, field: "events[3].url", reason: "must be an absolute URL" }],
        });
        const field = IngestEventsResponseSchema.field.acceptedEventIds;
        const encoded = withRepeatedStringsEncoded(message, field, message.acceptedEventIds);
        const read = fromBinary(IngestEventsResponseSchema, toBinary(IngestEventsResponseSchema, encoded));
        expect(read).toEqual(message);
        // The message given is not changed.
        expect(message.acceptedEventIds).toEqual(ids);
      }),
    );
  });

  it("writes a field whose tag takes two bytes (field 26) beside unknown fields already held", () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 20 }), (browsers) => {
        const message = create(PatternSchema, { id: "p1", browsers, sessions: 12n });
        const held = { no: 999, wireType: WireType.Varint, data: new Uint8Array([7]) };
        message.$unknown = [held];
        const encoded = withRepeatedStringsEncoded(message, PatternSchema.field.browsers, browsers);
        const read = fromBinary(PatternSchema, toBinary(PatternSchema, encoded));
        expect(read.browsers).toEqual(browsers);
        expect(read.id).toBe("p1");
        expect(read.sessions).toBe(12n);
        expect(read.$unknown).toEqual([held]);
      }),
    );
  });

  it("leaves the entries out of JSON, which has no unknown fields (binary answers only)", () => {
    const message = create(IngestEventsResponseSchema, { accepted: 2, acceptedEventIds: ["a", "b"] });
    const encoded = withRepeatedStringsEncoded(
      message,
      IngestEventsResponseSchema.field.acceptedEventIds,
      message.acceptedEventIds,
    );
    expect(toJson(IngestEventsResponseSchema, encoded)).toEqual({ accepted: 2 });
  });

  it("refuses a field that is not a repeated string", () => {
    const message = create(IngestEventsResponseSchema, { accepted: 1 });
    expect(() => withRepeatedStringsEncoded(message, IngestEventsResponseSchema.field.rejected, ["x"])).toThrow(
      /not a repeated string field/,
    );
  });
});
