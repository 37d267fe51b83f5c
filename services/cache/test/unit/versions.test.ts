import { describe, expect, it } from "vitest";
import { entryKey, organizationNamespace, organizationTag, versionsKey } from "../../src/domain/keys.js";
import {
  applyBump,
  bumpsForNewData,
  DATA_FIELD,
  GENERATION_FIELD,
  MAX_RANGE_MONTHS,
  monthsCovering,
  parseDataRange,
  scopeOf,
} from "../../src/domain/versions.js";

describe("data ranges", () => {
  it("cover the months of the range widened by a day on each side", () => {
    expect(monthsCovering({ start: "2026-02-10", end: "2026-02-20" })).toEqual(["2026-02"]);
    expect(monthsCovering({ start: "2026-02-01", end: "2026-02-28" })).toEqual(["2026-01", "2026-02", "2026-03"]);
    expect(monthsCovering({ start: "2025-12-15", end: "2026-01-15" })).toEqual(["2025-12", "2026-01"]);
  });

  it("fall back to the whole organization beyond the longest tracked range", () => {
    expect(monthsCovering({ start: "2000-01-15", end: "2000-01-15" })).toHaveLength(1);
    expect(monthsCovering({ start: "1990-01-15", end: "2030-01-15" })).toBeUndefined();
    const scope = scopeOf(new Map([[DATA_FIELD, 4n]]), { start: "1990-01-15", end: "2030-01-15" });
    expect(scope).toEqual({ data: 5n, ruleset: 0n });
    expect(MAX_RANGE_MONTHS).toBeGreaterThanOrEqual(120);
  });

  it("are validated", () => {
    expect(parseDataRange(undefined, "data_range")).toBeUndefined();
    expect(parseDataRange({ startDate: "", endDate: "" }, "data_range")).toBeUndefined();
    expect(() => parseDataRange({ startDate: "2026-02-30", endDate: "2026-03-01" }, "data_range")).toThrow(
      "data_range.start_date",
    );
    expect(() => parseDataRange({ startDate: "2026-03-02", endDate: "2026-03-01" }, "data_range")).toThrow(
      "is before start_date",
    );
  });
});

describe("versions", () => {
  const vector = new Map([
    [DATA_FIELD, 7n],
    [GENERATION_FIELD, 1n],
    ["m:2026-01", 2n],
    ["m:2026-03", 5n],
  ]);

  it("key a range by the months it touches and the generation", () => {
    expect(scopeOf(vector, { start: "2026-01-10", end: "2026-01-20" }).data).toBe(1n + 1n + 2n);
    expect(scopeOf(vector, { start: "2026-02-10", end: "2026-02-20" }).data).toBe(1n + 1n);
    expect(scopeOf(vector, { start: "2026-01-10", end: "2026-03-20" }).data).toBe(1n + 1n + 2n + 5n);
    expect(scopeOf(vector, undefined).data).toBe(8n);
  });

  it("advance the months of new data, or everything when the dates are unknown", () => {
    expect(bumpsForNewData(["2026-01-03", "2026-01-31", "2026-02-01"])).toEqual([
      { field: DATA_FIELD },
      { field: "m:2026-01" },
      { field: "m:2026-02" },
    ]);
    expect(bumpsForNewData([])).toEqual([{ field: DATA_FIELD }, { field: GENERATION_FIELD }]);
    expect(() => bumpsForNewData(["2026-1-3"])).toThrow("dates[0]");
  });

  it("only move forward", () => {
    expect(applyBump(3n, { field: "ruleset" })).toBe(4n);
    expect(applyBump(3n, { field: "ruleset", atLeast: 9n })).toBe(9n);
    expect(applyBump(9n, { field: "ruleset", atLeast: 2n })).toBe(10n);
  });
});

describe("keys", () => {
  it("keep each organization in one Redis Cluster slot through a hash tag", () => {
    expect(organizationNamespace("trellis:cache", "acme")).toBe("trellis:cache:{acme}");
    expect(versionsKey("trellis:cache", "acme")).toBe("trellis:cache:{acme}:versions");
    expect(entryKey("p", "acme", { data: 3n, ruleset: 1n }, "q1:traffic:abc")).toBe("p:{acme}:e:r1:a3:q1:traffic:abc");
    expect(
      entryKey("p", "acme", { data: 3n, ruleset: 1n, range: { start: "2026-01-01", end: "2026-01-31" } }, "k"),
    ).toBe("p:{acme}:e:r1:2026-01-01_2026-01-31.v3:k");
  });

  it("encode organization ids that could break out of the hash tag", () => {
    expect(organizationTag("acme_2")).toBe("acme_2");
    const tricky = organizationTag("a}b");
    expect(tricky.startsWith("~")).toBe(true);
    expect(tricky).not.toContain("}");
    expect(organizationTag("a}b")).not.toBe(organizationTag("a{b"));
  });
});
