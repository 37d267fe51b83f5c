import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  instantOfTimestamp,
  isSupportedInstant,
  parseDate,
  parseInstant,
  supportedTime,
  ValidationError,
} from "../../src/index.js";

/** The violations a call throws (it must throw a ValidationError). */
function violationsOf(call: () => unknown) {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).violations;
  }
  throw new Error("expected a ValidationError");
}

describe("parseDate", () => {
  it("reads calendar dates inside the supported range", () => {
    expect(parseDate("2026-02-28", "d").toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(parseDate("2024-02-29", "d").toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(parseDate(supportedTime.firstDate, "d").toISOString()).toBe("2000-01-01T00:00:00.000Z");
    expect(parseDate(supportedTime.lastDate, "d").toISOString()).toBe("2099-12-31T00:00:00.000Z");
  });

  it.each([
    ["2026-02-30", "is not a calendar date"],
    ["2026-02-29", "is not a calendar date"],
    ["2100-02-29", "is not a calendar date"],
    ["2026-04-31", "is not a calendar date"],
    ["2026-13-01", "is not a calendar date"],
    ["2026-00-10", "is not a calendar date"],
    ["0000-01-01", "must be between 2000-01-01 and 2099-12-31"],
    ["9999-12-31", "must be between 2000-01-01 and 2099-12-31"],
    ["1999-12-31", "must be between 2000-01-01 and 2099-12-31"],
    ["2100-01-01", "must be between 2000-01-01 and 2099-12-31"],
    ["2026-1-1", "expected a date as YYYY-MM-DD"],
    ["+02026-01-01", "expected a date as YYYY-MM-DD"],
    ["2026-01-01T00:00:00Z", "expected a date as YYYY-MM-DD"],
  ])("refuses %s, naming the field", (value, reason) => {
    const [violation] = violationsOf(() => parseDate(value, "range.start_date"));
    expect(violation?.field).toBe("range.start_date");
    expect(violation?.reason).toContain(reason);
  });
});

describe("parseInstant", () => {
  it("reads RFC 3339 times with Z or an offset, and dates alone as UTC midnight", () => {
    expect(parseInstant("2026-01-31T10:00:00Z", "t").toISOString()).toBe("2026-01-31T10:00:00.000Z");
    expect(parseInstant("2026-01-31t10:00:00z", "t").toISOString()).toBe("2026-01-31T10:00:00.000Z");
    expect(parseInstant("2026-01-31T11:00:00.25+01:00", "t").toISOString()).toBe("2026-01-31T10:00:00.250Z");
    expect(parseInstant("2026-01-31T05:30:00.123456789-04:30", "t").toISOString()).toBe("2026-01-31T10:00:00.123Z");
    expect(parseInstant("2026-03-01", "t").toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(parseInstant("2100-01-01T00:00:00Z", "t").toISOString()).toBe("2100-01-01T00:00:00.000Z");
    expect(parseInstant("2000-01-01T01:00:00+01:00", "t").toISOString()).toBe("2000-01-01T00:00:00.000Z");
  });

  it.each([
    ["2026-02-30T10:00:00Z", "is not a calendar date"],
    ["2026-02-31T10:00:00Z", "is not a calendar date"],
    ["2026-01-01T24:00:00Z", "is not a time of day"],
    ["2026-01-01T23:60:00Z", "is not a time of day"],
    ["2026-12-31T23:59:60Z", "is not a time of day"],
    ["2026-01-01T10:00:00+24:00", "has an offset that is not one"],
    ["0000-01-01T00:00:00Z", "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z"],
    ["9999-12-31T23:59:59Z", "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z"],
    ["2100-01-01T00:00:00.001Z", "must be between"],
    ["2000-01-01T00:30:00+01:00", "must be between"],
    ["2026-01-01T10:00:00", "expected an RFC 3339 time"],
    ["yesterday", "expected an RFC 3339 time"],
    ["2026-01-01 10:00:00Z", "expected an RFC 3339 time"],
  ])("refuses %s, naming the field", (value, reason) => {
    const [violation] = violationsOf(() => parseInstant(value, "rules[0].valid_from"));
    expect(violation?.field).toBe("rules[0].valid_from");
    expect(violation?.reason).toContain(reason);
  });

  it("quotes at most 64 characters of what it refuses", () => {
    const [violation] = violationsOf(() => parseInstant("9".repeat(100_000), "time"));
    expect(violation?.reason.length).toBeLessThan(200);
    expect(violation?.reason).toContain(`"${"9".repeat(64)}…"`);
  });
});

describe("instantOfTimestamp", () => {
  it("reads Timestamps inside the supported range", () => {
    const ts = create(TimestampSchema, { seconds: 1_767_225_600n, nanos: 5_000_000 });
    expect(instantOfTimestamp(ts, "t").toISOString()).toBe("2026-01-01T00:00:00.005Z");
  });

  it.each([
    [-62_167_219_200n, 0, "must be between"],
    [253_402_300_799n, 0, "must be between"],
    [2n ** 62n, 0, "must be between"],
    [4_102_444_800n, 1_000_000, "must be between"],
    [1_767_225_600n, -1, "nanos must be between 0 and 999999999"],
    [1_767_225_600n, 1_000_000_000, "nanos must be between 0 and 999999999"],
  ])("refuses %s s + %s ns", (seconds, nanos, reason) => {
    const [violation] = violationsOf(() =>
      instantOfTimestamp(create(TimestampSchema, { seconds, nanos }), "campaign.rules[0].valid_until"),
    );
    expect(violation?.field).toBe("campaign.rules[0].valid_until");
    expect(violation?.reason).toContain(reason);
  });

  it("agrees with isSupportedInstant at the edges", () => {
    expect(isSupportedInstant(supportedTime.firstMs)).toBe(true);
    expect(isSupportedInstant(supportedTime.firstMs - 1)).toBe(false);
    expect(isSupportedInstant(supportedTime.lastMs)).toBe(true);
    expect(isSupportedInstant(supportedTime.lastMs + 1)).toBe(false);
    expect(isSupportedInstant(Number.NaN)).toBe(false);
  });
});
