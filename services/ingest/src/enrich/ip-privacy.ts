import { hash as digestOf } from "node:crypto";
import { isIP } from "node:net";
import { readDottedQuad, readHexIpv6 } from "@trellis/store/events";
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

/** SHA-256's block size: an HMAC key longer than this is hashed first (RFC 2104). */
const BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104) of 16-byte messages as two one-shot digests over buffers kept from
 * call to call: H(K ⊕ opad ‖ H(K ⊕ ipad ‖ m)). The same bytes as `createHmac`, without a
 * keyed object built per address (which cost most of an address's first sight).
 */
function createAddressMac(key: Buffer): (message: Uint8Array) => Buffer {
  const block = Buffer.alloc(BLOCK);
  (key.length > BLOCK ? digestOf("sha256", key, "buffer") : key).copy(block);
  const inner = Buffer.alloc(BLOCK + 16);
  const outer = Buffer.alloc(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    inner[i] = (block[i] as number) ^ 0x36;
    outer[i] = (block[i] as number) ^ 0x5c;
  }
  return (message) => {
    inner.set(message, BLOCK);
    outer.set(digestOf("sha256", inner, "buffer"), BLOCK);
    return digestOf("sha256", outer, "buffer");
  };
}

/** Whether a text is an IPv4 address in its canonical dotted-decimal spelling (most are). */
export function isCanonicalIpv4(text: string): boolean {
  return readCanonicalIpv4(text, scratch);
}

const scratch = new Uint8Array(16);

/** Canonical dotted-decimal IPv4 (no leading zero) into `bytes` at 12–15; false for anything else. */
function readCanonicalIpv4(text: string, bytes: Uint8Array): boolean {
  return text.length >= 7 && text.length <= 15 && readDottedQuad(text, 0, bytes, true);
}

/**
 * An IPv6 address's 16 bytes as RFC 5952 text: lower-case groups without leading zeros, the
 * longest run of two or more zero groups (the first of equals) written `::`.
 */
function ipv6Text(bytes: Uint8Array): string {
  let runStart = -1;
  let runLength = 0;
  for (let group = 0; group < 8; ) {
    if (bytes[group * 2] !== 0 || bytes[group * 2 + 1] !== 0) {
      group++;
      continue;
    }
    let end = group;
    while (end < 8 && bytes[end * 2] === 0 && bytes[end * 2 + 1] === 0) end++;
    if (end - group > runLength && end - group >= 2) {
      runStart = group;
      runLength = end - group;
    }
    group = end;
  }
  let text = "";
  for (let group = 0; group < 8; group++) {
    if (group === runStart) {
      text += "::";
      group += runLength - 1;
      continue;
    }
    if (text !== "" && !text.endsWith(":")) text += ":";
    text += (((bytes[group * 2] as number) << 8) | (bytes[group * 2 + 1] as number)).toString(16);
  }
  return text;
}

/** Whether 16 bytes are an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Anonymised form and keyed hash of an address. The hash covers the 16-byte IPv6 form (IPv4 as ::ffff:a.b.c.d), so
 * every spelling of one address hashes alike; its first 8 bytes are read big-endian as an unsigned 64-bit integer.
 */
export function createIpPrivacy(hashKey: string): IpPrivacy {
  const mac = createAddressMac(Buffer.from(hashKey, "utf8"));
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;

  function hash(bytes: Uint8Array): string {
    return mac(bytes).readBigUInt64BE(0).toString();
  }

  /** An IPv4 address whose octets are at 12–15 of `mapped`; `address` is its dotted text. */
  function fromMapped(address: string): ProtectedIp {
    return {
      anonymized: `::ffff:${mapped[12]}.${mapped[13]}.${mapped[14]}.0`,
      hash: hash(mapped),
      address,
      version: 4,
    };
  }

  function fromV4(address: ipaddr.IPv4): ProtectedIp {
    mapped.set(address.octets, 12);
    return fromMapped(address.toString());
  }

  function fromV6(address: ipaddr.IPv6): ProtectedIp {
    const { parts } = address;
    return {
      anonymized: new ipaddr.IPv6([...parts.slice(0, 3), 0, 0, 0, 0, 0]).toRFC5952String(),
      hash: hash(Uint8Array.from(address.toByteArray())),
      address: new ipaddr.IPv6(parts).toRFC5952String(),
      version: 6,
    };
  }

  /** An IPv6 address read into `read` (not IPv4-mapped): the first 48 bits kept, the rest zeroed. */
  const read = new Uint8Array(16);
  const kept = new Uint8Array(16);
  function fromRead(): ProtectedIp {
    kept.set(read.subarray(0, 6));
    return { anonymized: ipv6Text(kept), hash: hash(read), address: ipv6Text(read), version: 6 };
  }

  return {
    protect(ip) {
      const text = ip.trim();
      // Most addresses are dotted IPv4 or hexadecimal IPv6 as written by a proxy: read without
      // the general parser, which takes every other spelling.
      if (readCanonicalIpv4(text, mapped)) return fromMapped(text);
      if (readHexIpv6(text, read)) {
        if (!isMapped(read)) return fromRead();
        mapped.set(read.subarray(12), 12);
        return fromMapped(`${read[12]}.${read[13]}.${read[14]}.${read[15]}`);
      }
      const family = isIP(text);
      if (family === 0) return undefined;
      if (family === 4) return fromV4(ipaddr.IPv4.parse(text));
      const v6 = ipaddr.IPv6.parse(text);
      return v6.isIPv4MappedAddress() ? fromV4(v6.toIPv4Address()) : fromV6(v6);
    },
  };
}
