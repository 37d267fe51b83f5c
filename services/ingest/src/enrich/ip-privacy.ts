import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import type { IpFacts } from "./types.js";

export interface ProtectedIp extends IpFacts {
  /** Canonical text for lookups: dotted IPv4 (IPv4-mapped IPv6 included), compressed IPv6 otherwise. */
  address: string;
  version: 4 | 6;
}

export interface IpPrivacy {
  /** undefined when the text is not an IP address. */
  protect(ip: string): ProtectedIp | undefined;
}

export const NO_IP: IpFacts = Object.freeze({ anonymized: "", hash: "0" });

export const MIN_IP_HASH_KEY_LENGTH = 32;

/**
 * Anonymised form and keyed hash of an address. The hash covers the 16-byte IPv6 form (IPv4 as ::ffff:a.b.c.d), so
 * every spelling of one address hashes alike; its first 8 bytes are read big-endian as an unsigned 64-bit integer.
 */
export function createIpPrivacy(hashKey: string): IpPrivacy {
  const key: KeyObject = createSecretKey(Buffer.from(hashKey, "utf8"));

  function hash(bytes: number[]): string {
    return createHmac("sha256", key).update(Uint8Array.from(bytes)).digest().readBigUInt64BE(0).toString();
  }

  function fromV4(address: ipaddr.IPv4): ProtectedIp {
    const [a, b, c] = address.octets;
    return {
      anonymized: `::ffff:${a}.${b}.${c}.0`,
      hash: hash(address.toIPv4MappedAddress().toByteArray()),
      address: address.toString(),
      version: 4,
    };
  }

  function fromV6(address: ipaddr.IPv6): ProtectedIp {
    const { parts } = address;
    return {
      anonymized: new ipaddr.IPv6([...parts.slice(0, 3), 0, 0, 0, 0, 0]).toRFC5952String(),
      hash: hash(address.toByteArray()),
      address: new ipaddr.IPv6(parts).toRFC5952String(),
      version: 6,
    };
  }

  return {
    protect(ip) {
      const text = ip.trim();
      const family = isIP(text);
      if (family === 0) return undefined;
      if (family === 4) return fromV4(ipaddr.IPv4.parse(text));
      const v6 = ipaddr.IPv6.parse(text);
      return v6.isIPv4MappedAddress() ? fromV4(v6.toIPv4Address()) : fromV6(v6);
    },
  };
}
