import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { COUNTRIES, residentialAddress } from "../../src/countries.js";
import { CLOUD_RANGES } from "../../src/index.js";
import { createAddressBlock, formatIpv6 } from "../../src/ip-addresses.js";
import { createRandom } from "../../src/prng.js";

describe("IP addresses", () => {
  it("writes IPv6 in RFC 5952 form", () => {
    expect(formatIpv6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])).toBe("2001:db8::1");
    expect(formatIpv6([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1])).toBe("2001:db8:0:1::1");
    expect(formatIpv6([0x2001, 0, 0, 1, 0, 0, 0, 0])).toBe("2001:0:0:1::");
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0])).toBe("::");
    expect(formatIpv6([0x2a01, 0xcb00, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6])).toBe("2a01:cb00:1:2:3:4:5:6");
    expect(formatIpv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe("2001:db8:0:1:1:1:1:1");
  });

  it("draws hosts inside their block, valid for node:net", () => {
    const rng = createRandom(5, 1);
    for (const cidr of [
      "73.0.0.0/8",
      "66.249.64.0/19",
      "157.55.39.0/24",
      "2003::/19",
      "2001:4860:4801::/48",
      "2804::/16",
    ]) {
      const block = createAddressBlock(cidr);
      for (let i = 0; i < 200; i++) {
        const ip = block.randomAddress(rng);
        expect(isIP(ip), ip).not.toBe(0);
        expect(block.contains(ip), `${ip} in ${cidr}`).toBe(true);
      }
    }
    expect(createAddressBlock("66.249.64.0/19").contains("66.249.96.1")).toBe(false);
    expect(createAddressBlock("2003::/19").contains("2003:2000::1")).toBe(false);
    expect(() => createAddressBlock("300.1.2.3/8")).toThrow(RangeError);
  });

  it("keeps residential blocks apart from the hosting networks", () => {
    const cloud = CLOUD_RANGES.map((r) => createAddressBlock(r.cidr));
    const rng = createRandom(6, 1);
    for (const country of COUNTRIES) {
      for (let i = 0; i < 300; i++) {
        const ip = residentialAddress(country, rng);
        expect(isIP(ip), ip).not.toBe(0);
        expect(
          cloud.some((b) => b.contains(ip)),
          `${country.code} ${ip}`,
        ).toBe(false);
      }
    }
  });
});
