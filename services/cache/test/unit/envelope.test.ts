import { describe, expect, it } from "vitest";
import { decodeEntry, type Entry, encodeEntry } from "../../src/domain/envelope.js";

const entry: Entry = {
  organizationId: "acme",
  key: "trellis:cache:{acme}:e:r0:a1:q1:traffic:abc",
  value: new Uint8Array([1, 2, 3, 250]),
  storedAt: 1_700_000_000_000,
  softExpiresAt: 1_700_000_060_000,
  hardExpiresAt: 1_700_000_075_000,
  computeMs: 42,
};

describe("value envelope", () => {
  it("round-trips an entry", () => {
    expect(decodeEntry(encodeEntry(entry), entry.organizationId, entry.key)).toEqual(entry);
  });

  it("is checked against the organization and the full key on every read", () => {
    const bytes = encodeEntry(entry);
    expect(() => decodeEntry(bytes, "globex", entry.key)).toThrow("another organization");
    expect(() => decodeEntry(bytes, "acme", `${entry.key}x`)).toThrow("another key");
  });

  it("refuses bytes that are not an envelope or are cut short", () => {
    const bytes = encodeEntry(entry);
    expect(() => decodeEntry(new TextEncoder().encode("plain answer"), "acme", entry.key)).toThrow(
      "not a cache envelope",
    );
    expect(() => decodeEntry(bytes.subarray(0, 12), "acme", entry.key)).toThrow();
    expect(() => decodeEntry(bytes.subarray(0, 60), "acme", entry.key)).toThrow();
  });

  it("reads from a view into a larger buffer", () => {
    const bytes = encodeEntry(entry);
    const larger = new Uint8Array(bytes.byteLength + 10);
    larger.set(bytes, 5);
    expect(decodeEntry(larger.subarray(5, 5 + bytes.byteLength), "acme", entry.key).value).toEqual(entry.value);
  });
});
