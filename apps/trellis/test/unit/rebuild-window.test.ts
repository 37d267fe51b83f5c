import { describe, expect, it } from "vitest";
import { rebuildWindow } from "../../src/commands/rebuild.js";

const noon = Date.parse("2026-12-07T12:00:00Z");

describe("rebuildWindow", () => {
  it("takes up to today on an embedded store, up to yesterday on a server", () => {
    expect(rebuildWindow("chdb", undefined, undefined, noon)).toEqual({ from: "1970-01-01", to: "2026-12-07" });
    expect(rebuildWindow("server", undefined, undefined, noon)).toEqual({ from: "1970-01-01", to: "2026-12-06" });
    expect(rebuildWindow("server", "2026-01-01", "2026-12-06", noon)).toEqual({ from: "2026-01-01", to: "2026-12-06" });
  });

  it("refuses today on a server, naming the day to wait for", () => {
    expect(() => rebuildWindow("server", undefined, "2026-12-07", noon)).toThrow(
      "--to 2026-12-07: the latest day a rebuild may take on a running server is 2026-12-06; today's (UTC) rows are still being written by ingest — rebuild 2026-12-07 tomorrow",
    );
    expect(() => rebuildWindow("chdb", undefined, "2026-12-08", noon)).toThrow("is 2026-12-07");
  });

  it("refuses dates that are not calendar days, and a range that ends before it starts", () => {
    expect(() => rebuildWindow("chdb", "2026-02-30", undefined, noon)).toThrow(
      '--from expects a date YYYY-MM-DD, got "2026-02-30"',
    );
    expect(() => rebuildWindow("chdb", undefined, "12/01/2026", noon)).toThrow("--to expects a date YYYY-MM-DD");
    expect(() => rebuildWindow("server", "2026-12-07", undefined, noon)).toThrow(
      "--from 2026-12-07 is after --to 2026-12-06",
    );
  });
});
