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

  return {
    protect(ip) {
      const text = ip.trim();
      if (isIP(text) === 0) return undefined;
      const parsed = ipaddr.process(text);
      if (parsed instanceof ipaddr.IPv4) {
        const [a, b, c] = parsed.octets;
        return {
          anonymized: `::ffff:${a}.${b}.${c}.0`,
          hash: hash(parsed.toIPv4MappedAddress().toByteArray()),
          address: parsed.toString(),
          version: 4,
        };
      }
      const kept = parsed.parts.slice(0, 3).concat([0, 0, 0, 0, 0]);
      return {
        anonymized: new ipaddr.IPv6(kept).toRFC5952String(),
        hash: hash(parsed.toByteArray()),
        address: new ipaddr.IPv6(parsed.parts).toRFC5952String(),
        version: 6,
      };
    },
  };
}
