import { describe, expect, it } from "vitest";
import { clip, ECHO_MAX_CHARS, echo } from "../../src/index.js";

describe("echo and clip", () => {
  it("repeat short values whole", () => {
    expect(echo("year")).toBe('"year"');
    expect(echo(42)).toBe('"42"');
    expect(clip("a".repeat(ECHO_MAX_CHARS))).toBe("a".repeat(ECHO_MAX_CHARS));
  });

  it("repeat only the first 64 characters of a long value, then an ellipsis", () => {
    expect(echo("x".repeat(100_000))).toBe(`"${"x".repeat(64)}…"`);
    expect(clip("y".repeat(65))).toBe(`${"y".repeat(64)}…`);
  });

  it("never end on half of a surrogate pair", () => {
    const clipped = clip(`${"a".repeat(63)}😀${"b".repeat(10)}`);
    expect(clipped).toBe(`${"a".repeat(63)}…`);
    expect(clipped.isWellFormed()).toBe(true);
  });
});
