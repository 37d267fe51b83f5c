import { describe, expect, it } from "vitest";
import { errorOffset, lineAndColumn } from "../../src/sql-position.js";

describe("where a statement went wrong", () => {
  const sql = "SELECT channel\nFROM analytics_events\nWHERE x = = 1";

  it("reads the parser's 1-based position or its line and column", () => {
    expect(errorOffset("SELECT FROM", "does not parse: Syntax error: failed at position 8 (FROM)")).toBe(7);
    const offset = errorOffset(sql, "does not parse: Syntax error (line 3, col 11): = 1");
    expect(sql.slice(offset)).toBe("= 1");
    expect(lineAndColumn(sql, offset ?? 0)).toBe("line 3, column 11");
  });

  it("stays inside the statement and says nothing when the message names no place", () => {
    expect(errorOffset("SELECT 1", "failed at position 999")).toBe(8);
    expect(errorOffset("SELECT 1", "line 9, col 3")).toBeLessThanOrEqual(8);
    expect(errorOffset("SELECT 1", "table system.tables is not allowed")).toBeUndefined();
  });
});
