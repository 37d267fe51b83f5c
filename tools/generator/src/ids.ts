import { fmix32, mix32 } from "./prng.js";

/** What an id names; part of the id, so ids of different kinds never collide. */
export const IdKind = { event: 0, visitor: 1, session: 2 } as const;
export type IdKind = (typeof IdKind)[keyof typeof IdKind];

const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const DASH = "-".charCodeAt(0);

/**
 * UUID-shaped ids (version nibble 4, RFC 4122 variant) derived from the seed, the kind and a
 * counter. The counter passes through a Feistel permutation of 48 bits keyed by the seed and
 * is written out whole, so two counters never give the same id for one seed and kind; the
 * other 72 bits are hashes of the seed and the counter, so ids look random and runs with
 * different seeds practically never share one.
 */
export function createIdFactory(seed: readonly [number, number]) {
  const seedHash = mix32(seed[0], seed[1]);
  const keys = [0, 1, 2, 3].map((round) => mix32(seedHash, round + 17));
  const [k0, k1, k2, k3] = keys as [number, number, number, number];
  // The id is written as character codes into one buffer and turned into a string at once.
  const codes = new Array<number>(36).fill(DASH);
  const nibble = (position: number, value: number) => {
    codes[position] = HEX_CODES[value & 0xf] as number;
  };
  codes[14] = "4".charCodeAt(0);
  return (kind: IdKind, counter: number): string => {
    let left = Math.floor(counter / 16777216) & 0xffffff;
    let right = counter & 0xffffff;
    let next = left ^ (fmix32(right ^ k0) & 0xffffff);
    left = right;
    right = next;
    next = left ^ (fmix32(right ^ k1) & 0xffffff);
    left = right;
    right = next;
    next = left ^ (fmix32(right ^ k2) & 0xffffff);
    left = right;
    right = next;
    next = left ^ (fmix32(right ^ k3) & 0xffffff);
    const high = right;
    const low = next;
    const tail = fmix32(high ^ Math.imul(low, 0x9e3779b1) ^ seedHash);
    const head = seedHash ^ fmix32(tail ^ kind);
    for (let i = 0; i < 8; i++) nibble(i, head >>> (28 - 4 * i));
    // 8-4-4-4-12: hash | high 16 bits | 4, high 8 bits, low 4 bits | variant+kind, low 12 bits | low 8 bits, hash
    nibble(9, high >>> 20);
    nibble(10, high >>> 16);
    nibble(11, high >>> 12);
    nibble(12, high >>> 8);
    nibble(15, high >>> 4);
    nibble(16, high);
    nibble(17, low >>> 20);
    nibble(19, 8 | kind);
    nibble(20, low >>> 16);
    nibble(21, low >>> 12);
    nibble(22, low >>> 8);
    nibble(24, low >>> 4);
    nibble(25, low);
    for (let i = 0; i < 8; i++) nibble(26 + i, tail >>> (28 - 4 * i));
    nibble(34, (tail >>> 4) ^ high);
    nibble(35, tail ^ (low >>> 4));
    return String.fromCharCode.apply(null, codes);
  };
}
