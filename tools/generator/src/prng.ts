/**
 * Seeded randomness. The generator is xoshiro128** (Blackman & Vigna, 2018): 128 bits of
 * state, period 2^128 − 1, only 32-bit integer operations (fast in JavaScript), and good
 * statistical quality. Every independent actor (a visitor, a crawl, a fraud burst, the
 * arrival process, the planning of one organization) draws from its own stream, so what one
 * actor does never depends on how the others interleave.
 */

/** murmur3's 32-bit finaliser: a bijection on u32 with full avalanche. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines a running hash with one more 32-bit value. */
export function mix32(hash: number, value: number): number {
  return fmix32(Math.imul(hash ^ fmix32(value), 0x9e3779b1) + 0x7f4a7c15);
}

/** The 64 bits of a seed (any finite number) as two words. */
export function seedWords(seed: number): readonly [number, number] {
  if (Number.isSafeInteger(seed)) return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, seed);
  return [view.getUint32(4), view.getUint32(0) ^ 0x5bd1e995];
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * Distinct (seed, stream, index) triples give distinct starting states: each word is a
   * bijection of one more input given the previous words, so two actors never share a
   * stream, and every word depends on every input.
   */
  constructor(seed: readonly [number, number], stream: number, index: number) {
    this.a = fmix32((index >>> 0) ^ 0x243f6a88);
    this.b = mix32(this.a, (Math.floor(index / 4294967296) ^ Math.imul(stream, 0x01000193)) >>> 0);
    this.c = mix32(this.b, seed[0]);
    this.d = mix32(this.c, seed[1]);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
    this.u32();
    this.u32();
  }

  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Log-normal given its median and the standard deviation of its logarithm. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Geometric on {0, 1, 2, …} with the given mean. */
  geometric(mean: number): number {
    if (mean <= 0) return 0;
    const q = mean / (1 + mean);
    return Math.floor(Math.log(1 - this.float()) / Math.log(q));
  }

  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 40) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.float();
    while (product > limit) {
      count++;
      product *= this.float();
    }
    return count;
  }

  /** A random string over `alphabet`. */
  token(length: number, alphabet: string): string {
    const codes = new Array<number>(length);
    for (let i = 0; i < length; i++) codes[i] = alphabet.charCodeAt(this.int(alphabet.length));
    return String.fromCharCode.apply(null, codes);
  }
}

/** Stream tags: each kind of actor draws from its own family of streams. */
export const Stream = {
  plan: 1,
  organization: 2,
  arrivals: 3,
  visitor: 4,
  crawl: 5,
  fraud: 6,
  fraudClicks: 7,
  pattern: 8,
  calibration: 9,
  campaigns: 10,
} as const;

export function createRandom(seed: number, stream: number, index = 0): Random {
  return new Random(seedWords(seed), stream, index);
}
