import type { Random } from "./prng.js";

/** An address block from which random hosts are drawn. */
export interface AddressBlock {
  readonly cidr: string;
  randomAddress(rng: Random): string;
  contains(address: string): boolean;
}

function parseIpv4(text: string): number {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${text}`);
  }
  return (
    (((parts[0] as number) << 24) |
      ((parts[1] as number) << 16) |
      ((parts[2] as number) << 8) |
      (parts[3] as number)) >>>
    0
  );
}

function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Expands an IPv6 address (with or without `::`) into its eight 16-bit groups. */
function parseIpv6(text: string): number[] {
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - headGroups.length - tailGroups.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) throw new RangeError(`not an IPv6 address: ${text}`);
  return [...headGroups, ...new Array<string>(missing).fill("0"), ...tailGroups].map((g) => Number.parseInt(g, 16));
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (bestStart < 0) return text(0, 8);
  return `${text(0, bestStart)}::${text(bestStart + bestLength, 8)}`;
}

function ipv4Block(cidr: string, address: string, prefix: number): AddressBlock {
  const size = 2 ** (32 - prefix);
  const base = (parseIpv4(address) & (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
  return {
    cidr,
    randomAddress(rng) {
      if (size <= 4) return formatIpv4(base + rng.int(size));
      // Hosts ending in .0 or .255 exist in large blocks but look odd in client traffic.
      const host = base + rng.int(size);
      const last = host & 255;
      return formatIpv4(last === 0 || last === 255 ? ((host & ~255) >>> 0) + 1 + rng.int(254) : host);
    },
    contains(text) {
      if (!text.includes(".") || text.includes(":")) return false;
      const value = parseIpv4(text);
      return value >= base && value < base + size;
    },
  };
}

function ipv6Block(cidr: string, address: string, prefix: number): AddressBlock {
  const groups = parseIpv6(address);
  const fixedGroups = Math.floor(prefix / 16);
  const partialBits = prefix % 16;
  const matches = (candidate: readonly number[]) => {
    for (let i = 0; i < fixedGroups; i++) if (candidate[i] !== groups[i]) return false;
    if (partialBits === 0) return true;
    const mask = (0xffff << (16 - partialBits)) & 0xffff;
    return ((candidate[fixedGroups] as number) & mask) === ((groups[fixedGroups] as number) & mask);
  };
  return {
    cidr,
    randomAddress(rng) {
      const out = new Array<number>(8);
      for (let i = 0; i < 8; i++) {
        if (i < fixedGroups) out[i] = groups[i] as number;
        else if (i === fixedGroups && partialBits > 0) {
          const mask = (0xffff << (16 - partialBits)) & 0xffff;
          out[i] = ((groups[i] as number) & mask) | (rng.int(65536) & ~mask & 0xffff);
        } else out[i] = rng.int(65536);
      }
      return formatIpv6(out);
    },
    contains(text) {
      if (!text.includes(":")) return false;
      return matches(parseIpv6(text));
    },
  };
}

export function createAddressBlock(cidr: string): AddressBlock {
  const [address = "", prefixText = ""] = cidr.split("/");
  const prefix = Number(prefixText);
  if (address.includes(":")) {
    if (!Number.isInteger(prefix) || prefix < 8 || prefix > 128) throw new RangeError(`bad IPv6 block ${cidr}`);
    return ipv6Block(cidr, address, prefix);
  }
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 32) throw new RangeError(`bad IPv4 block ${cidr}`);
  return ipv4Block(cidr, address, prefix);
}

/** Hosting and cloud networks: the only origin of crawler and click-fraud traffic. */
export interface DatacenterRange {
  readonly provider: string;
  readonly cidr: string;
}

export const CLOUD_RANGES: readonly DatacenterRange[] = [
  { provider: "Amazon Web Services", cidr: "3.80.0.0/12" },
  { provider: "Amazon Web Services", cidr: "54.160.0.0/12" },
  { provider: "Google Cloud", cidr: "34.64.0.0/10" },
  { provider: "Microsoft Azure", cidr: "20.36.0.0/14" },
  { provider: "DigitalOcean", cidr: "167.99.0.0/16" },
  { provider: "DigitalOcean", cidr: "142.93.0.0/16" },
  { provider: "Hetzner", cidr: "95.216.0.0/15" },
  { provider: "OVH", cidr: "51.68.0.0/16" },
  { provider: "Linode", cidr: "172.104.0.0/15" },
  { provider: "Vultr", cidr: "45.32.0.0/16" },
];
