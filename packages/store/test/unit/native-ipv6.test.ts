import { describe, expect, it } from "vitest";
import { ipv6Bytes, readHexIpv6 } from "../../src/native.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("IPv6 text as the IPv6 column's 16 bytes", () => {
  it("reads hexadecimal groups in every spelling, compressed or not", () => {
    expect(hex(ipv6Bytes("2001:db8::1"))).toBe("20010db8000000000000000000000001");
    expect(hex(ipv6Bytes("2001:0DB8:0000:0000:0000:0000:0000:0001"))).toBe("20010db8000000000000000000000001");
    expect(hex(ipv6Bytes("::"))).toBe("00000000000000000000000000000000");
    expect(hex(ipv6Bytes("::1"))).toBe("00000000000000000000000000000001");
    expect(hex(ipv6Bytes("fe80::"))).toBe("fe800000000000000000000000000000");
    expect(hex(ipv6Bytes("1:2:3:4:5:6:7:8"))).toBe("00010002000300040005000600070008");
    expect(hex(ipv6Bytes("1:2:3::6:7:8"))).toBe("00010002000300000000000600070008");
  });

  it("reads a dotted IPv4 tail after hexadecimal groups, nothing of the refused fast read left behind", () => {
    expect(hex(ipv6Bytes("::ffff:203.0.113.0"))).toBe("00000000000000000000ffffcb007100");
    expect(hex(ipv6Bytes("::FFFF:203.0.113.7"))).toBe("00000000000000000000ffffcb007107");
    expect(hex(ipv6Bytes("64:ff9b::192.0.2.33"))).toBe("0064ff9b0000000000000000c0000221");
    expect(hex(ipv6Bytes("203.0.113.7"))).toBe("00000000000000000000ffffcb007107");
  });

  it("leaves to the general parse what is not hexadecimal groups alone", () => {
    const scratch = new Uint8Array(16);
    for (const text of [
      "",
      ":",
      ":::",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7:",
      "1:2:3:4:5:6:7:8:9",
      "g::1",
      "::1.2.3.4",
      "fe80::1%eth0",
    ])
      expect(readHexIpv6(text, scratch)).toBe(false);
  });
});
