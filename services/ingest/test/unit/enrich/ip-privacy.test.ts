import { createHmac } from "node:crypto";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { createIpPrivacy } from "../../../src/enrich/ip-privacy.js";

const KEY = "test-ip-hash-key-0123456789abcdef";
const privacy = createIpPrivacy(KEY);

describe("IP anonymisation", () => {
  it("zeroes the last octet of an IPv4 address and writes it IPv4-mapped", () => {
    expect(privacy.protect("198.51.100.7")).toMatchObject({
      anonymized: "::ffff:198.51.100.0",
      address: "198.51.100.7",
      version: 4,
    });
    expect(privacy.protect("10.0.0.255")?.anonymized).toBe("::ffff:10.0.0.0");
  });

  it("treats an IPv4-mapped IPv6 address as the IPv4 address", () => {
    expect(privacy.protect("::ffff:198.51.100.7")).toEqual(privacy.protect("198.51.100.7"));
    expect(privacy.protect("::FFFF:c633:6407")).toEqual(privacy.protect("198.51.100.7"));
  });

  it("keeps the first 48 bits of an IPv6 address", () => {
    expect(privacy.protect("2001:db8:85a3:8d3:1319:8a2e:370:7348")).toMatchObject({
      anonymized: "2001:db8:85a3::",
      address: "2001:db8:85a3:8d3:1319:8a2e:370:7348",
      version: 6,
    });
    expect(privacy.protect("2001:DB8:0:0:0:0:0:1")).toMatchObject({ anonymized: "2001:db8::", address: "2001:db8::1" });
    expect(privacy.protect("::1")?.anonymized).toBe("::");
  });

  it("drops an IPv6 zone", () => {
    expect(privacy.protect("fe80::1%eth0")).toMatchObject({ anonymized: "fe80::", address: "fe80::1" });
  });

  it("returns undefined for text that is not an address", () => {
    expect(privacy.protect("")).toBeUndefined();
    expect(privacy.protect("not-an-ip")).toBeUndefined();
    expect(privacy.protect("256.1.1.1")).toBeUndefined();
    expect(privacy.protect("1.2.3")).toBeUndefined();
  });

  it("never returns the raw address in its anonymised form", () => {
    for (const ip of ["203.0.113.99", "2001:db8:1:2:3:4:5:6"]) {
      const result = privacy.protect(ip);
      expect(result?.anonymized).not.toBe(ip);
      expect(result?.hash).not.toContain(ip);
    }
  });
});

describe("IP hash", () => {
  it("is HMAC-SHA256 of the 16-byte address, its first 8 bytes read as an unsigned big-endian integer", () => {
    const digest = createHmac("sha256", KEY).update(Buffer.from("00000000000000000000ffffc6336407", "hex")).digest();
    expect(privacy.protect("198.51.100.7")?.hash).toBe(digest.readBigUInt64BE(0).toString());
  });

  it("is HMAC-SHA256 for a key longer than the hash's block too (hashed first)", () => {
    const long = "a-long-ip-hash-key-".repeat(5);
    const digest = createHmac("sha256", long).update(Buffer.from("20010db8000000000000000000000001", "hex")).digest();
    expect(createIpPrivacy(long).protect("2001:db8::1")?.hash).toBe(digest.readBigUInt64BE(0).toString());
  });

  it("reads dotted IPv4 in any spelling the address parser takes, and refuses the rest", () => {
    const reference = (octets: number[]) =>
      createHmac("sha256", KEY)
        .update(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...octets]))
        .digest()
        .readBigUInt64BE(0)
        .toString();
    for (const octets of [
      [0, 0, 0, 0],
      [255, 255, 255, 255],
      [10, 0, 200, 9],
    ]) {
      expect(privacy.protect(octets.join("."))).toEqual({
        anonymized: `::ffff:${octets[0]}.${octets[1]}.${octets[2]}.0`,
        hash: reference(octets),
        address: octets.join("."),
        version: 4,
      });
    }
    for (const text of ["1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4a", "1.2.3.256"])
      expect(privacy.protect(text)).toBeUndefined();
  });

  it("is stable: the same key and address give the same value in every process and version", () => {
    expect(privacy.protect("198.51.100.7")?.hash).toBe("603413569602464430");
    expect(privacy.protect("2001:db8::1")?.hash).toBe("3175946897739413073");
    expect(createIpPrivacy(KEY).protect("198.51.100.7")?.hash).toBe("603413569602464430");
  });

  it("hashes every spelling of an address alike", () => {
    const hash = privacy.protect("2001:db8::1")?.hash;
    expect(privacy.protect("2001:0DB8:0000:0000:0000:0000:0000:0001")?.hash).toBe(hash);
    expect(privacy.protect(" 2001:db8::1 ")?.hash).toBe(hash);
    expect(privacy.protect("::ffff:198.51.100.7")?.hash).toBe("603413569602464430");
  });

  it("depends on the key", () => {
    expect(createIpPrivacy("another-key-0123456789abcdefghijk").protect("198.51.100.7")?.hash).toBe(
      "17931780245361085105",
    );
  });

  it("separates neighbouring addresses that share an anonymised form", () => {
    const a = privacy.protect("198.51.100.7");
    const b = privacy.protect("198.51.100.8");
    expect(a?.anonymized).toBe(b?.anonymized);
    expect(a?.hash).not.toBe(b?.hash);
  });

  it("is an unsigned 64-bit decimal", () => {
    for (let i = 0; i < 200; i += 1) {
      const hash = privacy.protect(`203.0.113.${i}`)?.hash ?? "";
      expect(hash).toMatch(/^(0|[1-9]\d*)$/);
      expect(BigInt(hash) < 2n ** 64n).toBe(true);
    }
  });
});

describe("IPv6 read without the general parser", () => {
  /** What the address parser makes of an address: the reference for every spelling. */
  function reference(text: string) {
    const address = ipaddr.IPv6.parse(text);
    if (address.isIPv4MappedAddress()) return privacy.protect(address.toIPv4Address().toString());
    const bytes = Uint8Array.from(address.toByteArray());
    return {
      anonymized: new ipaddr.IPv6([...address.parts.slice(0, 3), 0, 0, 0, 0, 0]).toRFC5952String(),
      hash: createHmac("sha256", KEY).update(bytes).digest().readBigUInt64BE(0).toString(),
      address: address.toRFC5952String(),
      version: 6,
    };
  }

  /** Eight groups, runs of zeros likely, written in full, with leading zeros, upper-case or compressed. */
  const spelledAddress = fc
    .tuple(
      fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
        minLength: 8,
        maxLength: 8,
      }),
      fc.constantFrom("rfc5952", "full", "padded", "upper"),
    )
    .map(([groups, spelling]) => {
      const rfc = new ipaddr.IPv6(groups).toRFC5952String();
      if (spelling === "rfc5952") return rfc;
      const hex = groups.map((g) => g.toString(16));
      if (spelling === "full") return hex.join(":");
      if (spelling === "padded") return hex.map((g) => g.padStart(4, "0")).join(":");
      return rfc.toUpperCase();
    });

  it("gives every spelling of an address what the general parser gives", () => {
    fc.assert(
      fc.property(spelledAddress, (text) => {
        expect(privacy.protect(text)).toEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads IPv4-mapped addresses in hexadecimal as the IPv4 address", () => {
    expect(privacy.protect("0:0:0:0:0:ffff:c633:6407")).toEqual(privacy.protect("198.51.100.7"));
    expect(privacy.protect("::ffff:0:0")).toEqual(privacy.protect("0.0.0.0"));
  });

  it("refuses malformed hexadecimal text as the general parser does", () => {
    for (const text of [
      ":",
      ":::",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7:",
      "g::1",
      "1::2:3:4:5:6:7:8",
    ])
      expect(privacy.protect(text)).toBeUndefined();
  });
});
