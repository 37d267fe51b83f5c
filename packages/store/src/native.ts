/**
 * ClickHouse's Native format, written column by column: the engine's own block layout, which it
 * takes without parsing text (no JSON on the way to the engine). A block is the column count,
 * the row count, then for each column its name, its type and its values in the type's binary
 * bulk serialization. Several blocks may follow one another in one body or file.
 *
 * A column is built by appending one value a row ({@link NativeColumn.append}); the bytes of the
 * fixed-width and string parts are written as values arrive, so encoding a block is mostly
 * copying. The types covered are the ones a table of the product may use, parsed from the type
 * text exactly as the DDL writes it: (U)Int8–64, Float32/64, Bool, Decimal(P, S) up to P = 38,
 * String, FixedString(N), Date, Date32, DateTime, DateTime64(P[, tz]), UUID, IPv4, IPv6,
 * Enum8/16, Nullable(T), LowCardinality(T), Array(T) and Map(K, V).
 *
 * This module imports nothing at run time (worker threads and the generator load it alone).
 */

/** The JS value a column of a type takes (see {@link nativeColumn} for each type's forms). */
export type NativeValue = string | number | bigint | boolean | Date | null | readonly NativeValue[] | NativeMap;
export type NativeMap = Readonly<Record<string, string | number | boolean>>;

/** A growable little-endian byte buffer. */
export class ByteSink {
  bytes: Uint8Array;
  view: DataView;
  length = 0;

  /** The same memory as `bytes`, as the runtime's Buffer where there is one (Node): its UTF-8 writer. */
  utf8: NodeBuffer | undefined;

  constructor(capacity = 1024) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.utf8 = bufferOver(this.bytes);
  }

  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
    this.utf8 = bufferOver(grown);
  }

  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  i16(value: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  i32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }

  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** A non-negative integer below 2^53 as UInt64 (no BigInt on the common path). */
  u64(value: number): void {
    this.reserve(8);
    this.view.setUint32(this.length, value >>> 0, true);
    this.view.setUint32(this.length + 4, Math.floor(value / 4294967296) >>> 0, true);
    this.length += 8;
  }

  /** An integer below 2^53 in magnitude as Int64 (two's complement). */
  i64(value: number): void {
    if (value >= 0) this.u64(value);
    else this.big(BigInt(value), 8);
  }

  /** A two's-complement integer of `width` bytes (8, 16 or 32), little-endian. */
  big(value: bigint, width: number): void {
    this.reserve(width);
    let rest = BigInt.asUintN(width * 8, value);
    for (let i = 0; i < width; i += 8) {
      this.view.setBigUint64(this.length + i, rest & 0xffffffffffffffffn, true);
      rest >>= 64n;
    }
    this.length += width;
  }

  /**
   * A UInt64 given as decimal digits (e.g. a hash), without BigInt: false, and nothing
   * written, when the text is not 1–20 digits below 2^64.
   */
  decimalU64(text: string): boolean {
    const length = text.length;
    if (length === 0 || length > 20) return false;
    // Two 32-bit halves, each digit carried from the low half into the high one.
    let low = 0;
    let high = 0;
    for (let i = 0; i < length; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return false;
      const next = low * 10 + digit;
      low = next % 4294967296;
      high = high * 10 + Math.floor(next / 4294967296);
      if (high >= 4294967296) return false;
    }
    this.reserve(8);
    this.view.setUint32(this.length, low, true);
    this.view.setUint32(this.length + 4, high, true);
    this.length += 8;
    return true;
  }

  varint(value: number): void {
    this.reserve(10);
    while (value >= 0x80) {
      this.bytes[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.bytes[this.length++] = value;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A String: its UTF-8 length as a varint, then its bytes. */
  string(text: string): void {
    const length = text.length;
    if (length < SHORT_TEXT) {
      // At most 3 × 31 = 93 bytes: the length fits the one varint byte reserved before the text.
      this.reserve(1 + length * 3);
      const bytes = this.bytes;
      const start = this.length + 1;
      // ASCII, the common case, byte by byte: cheaper than the encoder's call for short text.
      let i = 0;
      for (; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[start + i] = c;
      }
      let written = i;
      if (i < length) written = i + encoder.encodeInto(text.slice(i), bytes.subarray(start + i)).written;
      bytes[this.length] = written;
      this.length = start + written;
      return;
    }
    if (this.utf8 !== undefined && length < MID_TEXT) {
      // Longer text (URLs, user agents) by the runtime's own UTF-8 writer, with no view made:
      // written behind room for its length if it is ASCII (bytes = characters); the bytes
      // move up one place in the rare case that the length takes a byte more.
      const head = length < 128 ? 1 : 2;
      this.reserve(2 + length * 3);
      const at = this.length;
      const size = (this.utf8 as NodeBuffer).utf8Write(text, at + head);
      const need = size < 128 ? 1 : 2;
      if (need !== head) this.bytes.copyWithin(at + need, at + head, at + head + size);
      if (need === 1) this.bytes[at] = size;
      else {
        this.bytes[at] = (size & 0x7f) | 0x80;
        this.bytes[at + 1] = size >> 7;
      }
      this.length = at + need + size;
      return;
    }
    const size = byteLength(text);
    this.varint(size);
    this.reserve(size);
    encoder.encodeInto(text, this.bytes.subarray(this.length, this.length + size));
    this.length += size;
  }

  /** The bytes written so far (a view: valid until the next write). */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

const encoder = new TextEncoder();

/** Text shorter than this is written character by character (a native call costs more). */
const SHORT_TEXT = 32;
/** Text shorter than this is at most 3 × 5461 < 16384 bytes: its length takes at most two varint bytes. */
const MID_TEXT = 5461;

/** What this module uses of Node's Buffer: writing UTF-8 into its memory at an offset. */
interface NodeBuffer {
  utf8Write(text: string, offset: number): number;
}

const NodeBufferClass = (globalThis as { Buffer?: { from(buffer: ArrayBuffer): unknown } }).Buffer;

/** A Buffer over the same memory as `bytes` (no copy), where the runtime has Buffer. */
function bufferOver(bytes: Uint8Array): NodeBuffer | undefined {
  return NodeBufferClass?.from(bytes.buffer as ArrayBuffer) as NodeBuffer | undefined;
}

/** The UTF-8 length of a string, without encoding it. */
function byteLength(text: string): number {
  let size = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) size += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        size += 2; // 4 bytes for 2 UTF-16 units
        i++;
      } else size += 2;
    } else size += 2;
  }
  return size;
}

/** One column being built: values appended a row at a time, then written into a block. */
export interface NativeColumn {
  readonly type: string;
  /** Rows appended since the last reset. */
  readonly rows: number;
  append(value: NativeValue): void;
  /** The value an insert that leaves the column out stores (the type's default). */
  appendDefault(): void;
  /** The serialization state prefix (LowCardinality's version), written before any data. */
  writePrefix(out: ByteSink): void;
  writeData(out: ByteSink): void;
  reset(): void;
}

/** A column type's text split at top-level commas: `Map(K, V)` → ["K", "V"]. */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** `Name(args)` → ["Name", "args"]; a type without arguments → ["Name", ""]. */
function parseType(type: string): [string, string] {
  const open = type.indexOf("(");
  if (open < 0) return [type.trim(), ""];
  if (!type.endsWith(")")) throw new Error(`not a ClickHouse type: ${type}`);
  return [type.slice(0, open).trim(), type.slice(open + 1, -1)];
}

/** A column of fixed-width values written as they come. */
function fixedColumn(type: string, write: (out: ByteSink, value: NativeValue) => void, fallback: NativeValue) {
  const data = new ByteSink();
  let rows = 0;
  const column: NativeColumn = {
    type,
    get rows() {
      return rows;
    },
    append(value) {
      write(data, value);
      rows++;
    },
    appendDefault() {
      column.append(fallback);
    },
    writePrefix() {},
    writeData(out) {
      out.raw(data.written());
    },
    reset() {
      data.clear();
      rows = 0;
    },
  };
  return column;
}

function asNumber(value: NativeValue, type: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  if (typeof value === "bigint") return Number(value);
  throw new Error(`${type} takes a number, not ${describe(value)}`);
}

function asBigInt(value: NativeValue, type: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  throw new Error(`${type} takes an integer, not ${describe(value)}`);
}

function describe(value: NativeValue): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const INTEGERS: Record<string, { width: number; signed: boolean }> = {
  UInt8: { width: 1, signed: false },
  UInt16: { width: 2, signed: false },
  UInt32: { width: 4, signed: false },
  UInt64: { width: 8, signed: false },
  UInt128: { width: 16, signed: false },
  UInt256: { width: 32, signed: false },
  Int8: { width: 1, signed: true },
  Int16: { width: 2, signed: true },
  Int32: { width: 4, signed: true },
  Int64: { width: 8, signed: true },
  Int128: { width: 16, signed: true },
  Int256: { width: 32, signed: true },
};

function integerWriter(name: string, width: number, signed: boolean): (out: ByteSink, value: NativeValue) => void {
  if (width === 1) return (out, v) => out.u8(asNumber(v, name) & 0xff);
  if (width === 2) return signed ? (out, v) => out.i16(asNumber(v, name)) : (out, v) => out.u16(asNumber(v, name));
  if (width === 4) return signed ? (out, v) => out.i32(asNumber(v, name)) : (out, v) => out.u32(asNumber(v, name));
  return (out, v) => {
    if (typeof v === "number" && Number.isSafeInteger(v) && width === 8) out.i64(v);
    else if (typeof v === "string" && width === 8 && !signed && out.decimalU64(v)) return;
    else out.big(asBigInt(v, name), width);
  };
}

const DAY_MS = 86_400_000;

/** Milliseconds since the epoch of `YYYY-MM-DD[ hh:mm:ss[.fff…]]` (UTC), a Date, or a number of ms. */
function epochMs(value: NativeValue, type: string): number {
  if (typeof value === "number") return value;
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string") {
    const ms = parseUtc(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new Error(`${type} takes a date-time (YYYY-MM-DD hh:mm:ss), not ${describe(value)}`);
}

function digits(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

function parseUtc(text: string): number {
  const date = Date.UTC(digits(text, 0, 4), digits(text, 5, 2) - 1, digits(text, 8, 2));
  if (text.length === 10) return date;
  const seconds = digits(text, 11, 2) * 3600 + digits(text, 14, 2) * 60 + digits(text, 17, 2);
  let fraction = 0;
  if (text.length > 20)
    fraction = Math.floor(digits(text, 20, Math.min(3, text.length - 20)) * 10 ** (3 - Math.min(3, text.length - 20)));
  return date + seconds * 1000 + fraction;
}

/** Ticks of a DateTime64(precision) for a value in any of epochMs's forms; a string keeps its sub-ms digits. */
function dateTime64Ticks(value: NativeValue, precision: number, type: string): bigint | number {
  if (typeof value === "string" && precision > 3 && value.length > 23) {
    const fraction = value.slice(20, 20 + precision).padEnd(precision, "0");
    const seconds = Math.floor(parseUtc(value.slice(0, 19)) / 1000);
    return BigInt(seconds) * 10n ** BigInt(precision) + BigInt(fraction);
  }
  const ms = epochMs(value, type);
  if (precision === 3) return ms;
  if (precision < 3) return Math.floor(ms / 10 ** (3 - precision));
  return BigInt(ms) * 10n ** BigInt(precision - 3);
}

/** The 16 bytes of an IPv6 address (IPv4 text maps to ::ffff:a.b.c.d). */
export function ipv6Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  readIpv6(text, bytes);
  return bytes;
}

/**
 * The 16 bytes of an IPv6 address (IPv4 text maps to ::ffff:a.b.c.d) into `bytes`, every one
 * of them written; throws for text that is not an address. The usual spellings — anonymised
 * IPv4 as stored (`::ffff:a.b.c.0`), hexadecimal groups — are read by a scan without allocating.
 */
export function readIpv6(text: string, bytes: Uint8Array): void {
  if (text.startsWith("::ffff:") && readDottedQuad(text, 7, bytes)) {
    bytes.fill(0, 0, 10);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return;
  }
  if (readHexIpv6(text, bytes)) return;
  // What a refused read left behind is not kept.
  bytes.fill(0);
  if (text.includes(".") && !text.includes(":")) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    bytes.set(ipv4Bytes(text), 12);
    return;
  }
  let tail: number[] | undefined;
  let body = text;
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) > 0) {
    tail = ipv4Bytes(text.slice(lastColon + 1));
    body = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = "", rest] = body.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const front = groups(head);
  const back = rest === undefined ? [] : groups(rest);
  const all = rest === undefined ? front : [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`not an IPv6 address: ${text}`);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  if (tail) bytes.set(tail, 12);
}

/** The value of a hexadecimal digit's character code; -1 for any other character. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * IPv6 text of hexadecimal groups only (1–4 digits each, either case, at most one `::`), as
 * proxies and clients write most addresses, into the 16 bytes of `bytes`. False for any other
 * text (a dotted IPv4 tail, a zone, a malformed address), with nothing decided (those take a
 * general parse) and `bytes` holding whatever was read before the refusal.
 */
export function readHexIpv6(text: string, bytes: Uint8Array): boolean {
  const length = text.length;
  if (length < 2 || length > 39) return false;
  // Groups are written from the front; after `::`, the groups behind it are moved to the end.
  let group = 0;
  let gap = -1;
  let value = 0;
  let digits = 0;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (length === 2) {
      bytes.fill(0);
      return true;
    }
  }
  for (; i <= length; i++) {
    const c = i === length ? 58 : text.charCodeAt(i);
    if (c === 58) {
      if (digits === 0 || group === 8) return false;
      bytes[group * 2] = value >> 8;
      bytes[group * 2 + 1] = value & 0xff;
      group++;
      value = 0;
      digits = 0;
      if (i + 1 < length && text.charCodeAt(i + 1) === 58) {
        if (gap >= 0) return false;
        gap = group;
        i++;
        if (i + 1 === length) break;
      } else if (i + 1 === length) return false;
      continue;
    }
    const digit = hexDigit(c);
    if (digit < 0 || digits === 4) return false;
    value = value * 16 + digit;
    digits++;
  }
  if (gap < 0) return group === 8;
  if (group === 8) return false;
  const behind = group - gap;
  bytes.copyWithin(16 - behind * 2, gap * 2, group * 2);
  bytes.fill(0, gap * 2, 16 - behind * 2);
  return true;
}

/**
 * Dotted-decimal IPv4 from `from` to the end of `text` into `bytes` at 12–15 (where the IPv6
 * form keeps a mapped IPv4 address): each octet 0–255 in one to three digits and, when
 * `canonical`, without a leading zero. False for any other text, with nothing decided (other
 * spellings take a general parse).
 */
export function readDottedQuad(text: string, from: number, bytes: Uint8Array, canonical = false): boolean {
  let at = 12;
  let octet = 0;
  let digits = 0;
  for (let i = from; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || at > 15) return false;
      bytes[at++] = octet;
      octet = 0;
      digits = 0;
    } else {
      const digit = c - 48;
      if (digit < 0 || digit > 9 || digits === 3 || (canonical && digits === 1 && octet === 0)) return false;
      octet = octet * 10 + digit;
      if (octet > 255) return false;
      digits++;
    }
  }
  return at === 16;
}

function ipv4Bytes(text: string): number[] {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(Number.isInteger(p) && p >= 0 && p <= 255)))
    throw new Error(`not an IPv4 address: ${text}`);
  return parts;
}

/** Decimal text or a number as the integer of `scale` decimal places (digits beyond it are cut, as the engine does). */
function decimalUnits(value: NativeValue, scale: number, type: string): bigint | number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`${type} takes a finite number, not ${value}`);
    // Exact when the scaled integer maps back to the number (the common case: cents).
    const scaled = Math.round(value * 10 ** scale);
    if (Number.isSafeInteger(scaled) && scaled / 10 ** scale === value) return scaled;
    return decimalUnits(String(value), scale, type);
  }
  const text = typeof value === "bigint" ? value.toString() : String(value);
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match || (match[2] === "" && (match[3] ?? "") === ""))
    throw new Error(`${type} takes a decimal number, not ${describe(value)}`);
  let whole = match[2] ?? "";
  let fraction = match[3] ?? "";
  const exponent = Number(match[4] ?? 0);
  if (exponent > 0) {
    fraction = fraction.padEnd(exponent, "0");
    whole += fraction.slice(0, exponent);
    fraction = fraction.slice(exponent);
  } else if (exponent < 0) {
    whole = whole.padStart(-exponent, "0");
    fraction = whole.slice(whole.length + exponent) + fraction;
    whole = whole.slice(0, whole.length + exponent);
  }
  const units = BigInt((whole || "0") + fraction.slice(0, scale).padEnd(scale, "0"));
  return match[1] === "-" ? -units : units;
}

function uuidWriter(out: ByteSink, value: NativeValue): void {
  const hex = String(value).replaceAll("-", "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`UUID takes 8-4-4-4-12 hex digits, not ${describe(value)}`);
  // Two UInt64 halves, each little-endian: the engine's in-memory UUID.
  out.reserve(16);
  for (let half = 0; half < 2; half++) {
    for (let i = 0; i < 8; i++) {
      out.bytes[out.length + half * 8 + i] = Number.parseInt(
        hex.slice(half * 16 + (7 - i) * 2, half * 16 + (7 - i) * 2 + 2),
        16,
      );
    }
  }
  out.length += 16;
}

/** `'a' = 1, 'b' = 2` → name → value. */
function enumValues(args: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const part of splitArguments(args)) {
    const match = /^'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)$/.exec(part);
    if (!match) throw new Error(`not an Enum element: ${part}`);
    values.set((match[1] ?? "").replace(/\\(.)/g, "$1"), Number(match[2]));
  }
  return values;
}

/**
 * An empty column of `type`. The values each type takes: numbers for (U)Int8–32 and floats;
 * a number, bigint or decimal text for 64-bit and wider integers; a boolean for Bool; a number
 * or decimal text for Decimal; text for String, FixedString, UUID, IPv4, IPv6 and an Enum's
 * element name; `YYYY-MM-DD` or days since the epoch for Date and Date32; `YYYY-MM-DD hh:mm:ss[.fff]`
 * (UTC), a Date or epoch milliseconds for DateTime and DateTime64; null or the inner value for
 * Nullable; an array for Array; an object for Map. A value of the wrong kind throws.
 */
export function nativeColumn(type: string): NativeColumn {
  const [name, args] = parseType(type);
  const integer = INTEGERS[name];
  if (integer) {
    return fixedColumn(type, integerWriter(type, integer.width, integer.signed), 0);
  }
  switch (name) {
    case "Float32":
      return fixedColumn(type, (out, v) => out.f32(asNumber(v, type)), 0);
    case "Float64":
      return fixedColumn(type, (out, v) => out.f64(asNumber(v, type)), 0);
    case "Bool":
      return fixedColumn(type, (out, v) => out.u8(v === true || v === 1 || v === "true" ? 1 : 0), false);
    case "Decimal": {
      const [precision = 0, scale = 0] = splitArguments(args).map(Number);
      const width = precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
      return fixedColumn(
        type,
        (out, v) => {
          const units = decimalUnits(v, scale, type);
          if (width === 4) out.i32(Number(units));
          else if (width === 8 && typeof units === "number") out.i64(units);
          else out.big(BigInt(units), width);
        },
        0,
      );
    }
    case "Date":
      return fixedColumn(
        type,
        (out, v) => out.u16(typeof v === "number" ? v : Math.floor(epochMs(v, type) / DAY_MS)),
        0,
      );
    case "Date32":
      return fixedColumn(
        type,
        (out, v) => out.i32(typeof v === "number" ? v : Math.floor(epochMs(v, type) / DAY_MS)),
        0,
      );
    case "DateTime":
      return fixedColumn(type, (out, v) => out.u32(Math.floor(epochMs(v, type) / 1000)), 0);
    case "DateTime64": {
      const precision = Number(splitArguments(args)[0]);
      return fixedColumn(
        type,
        (out, v) => {
          const ticks = dateTime64Ticks(v, precision, type);
          if (typeof ticks === "number") out.i64(ticks);
          else out.big(ticks, 8);
        },
        0,
      );
    }
    case "UUID":
      return fixedColumn(type, uuidWriter, "00000000-0000-0000-0000-000000000000");
    case "IPv4":
      return fixedColumn(
        type,
        (out, v) => {
          const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(String(v));
          out.u32(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
        },
        "0.0.0.0",
      );
    case "IPv6": {
      // Each value read into one reused array and copied into the column: nothing kept per address.
      const bytes = new Uint8Array(16);
      return fixedColumn(
        type,
        (out, v) => {
          readIpv6(String(v), bytes);
          out.raw(bytes);
        },
        "::",
      );
    }
    case "Enum8":
    case "Enum16": {
      const values = enumValues(args);
      const first = values.values().next().value ?? 0;
      const code = (v: NativeValue) => {
        const found = typeof v === "number" ? v : values.get(String(v));
        if (found === undefined) throw new Error(`${type} has no element ${describe(v)}`);
        return found;
      };
      return fixedColumn(
        type,
        name === "Enum8" ? (out, v) => out.u8(code(v) & 0xff) : (out, v) => out.i16(code(v)),
        first,
      );
    }
    case "String":
      return fixedColumn(type, (out, v) => out.string(typeof v === "string" ? v : String(v)), "");
    case "FixedString": {
      const size = Number(args);
      return fixedColumn(
        type,
        (out, v) => {
          const bytes = encoder.encode(String(v));
          if (bytes.length > size) throw new Error(`${type} takes at most ${size} bytes (got ${bytes.length})`);
          out.reserve(size);
          out.bytes.fill(0, out.length, out.length + size);
          out.bytes.set(bytes, out.length);
          out.length += size;
        },
        "",
      );
    }
    case "Nullable":
      return nullableColumn(type, nativeColumn(args));
    case "LowCardinality":
      return lowCardinalityColumn(type, args);
    case "Array":
      return arrayColumn(type, nativeColumn(args));
    case "Map": {
      const [keyType = "", valueType = ""] = splitArguments(args);
      return mapColumn(type, nativeColumn(keyType), nativeColumn(valueType));
    }
    default:
      throw new Error(`the Native encoder does not know the ClickHouse type ${type}`);
  }
}

function nullableColumn(type: string, inner: NativeColumn): NativeColumn {
  const nulls = new ByteSink();
  const column: NativeColumn = {
    type,
    get rows() {
      return nulls.length;
    },
    append(value) {
      if (value === null) {
        nulls.u8(1);
        inner.appendDefault();
      } else {
        nulls.u8(0);
        inner.append(value);
      }
    },
    appendDefault() {
      column.append(null);
    },
    writePrefix(out) {
      inner.writePrefix(out);
    },
    writeData(out) {
      out.raw(nulls.written());
      inner.writeData(out);
    },
    reset() {
      nulls.clear();
      inner.reset();
    },
  };
  return column;
}

/** Offsets of an Array or Map: the running element count after each row, as UInt64. */
function offsetsSink() {
  const offsets = new ByteSink();
  let rows = 0;
  let total = 0;
  return {
    get rows() {
      return rows;
    },
    end(elements: number) {
      total += elements;
      offsets.u64(total);
      rows++;
    },
    write(out: ByteSink) {
      out.raw(offsets.written());
    },
    reset() {
      offsets.clear();
      rows = 0;
      total = 0;
    },
  };
}

function arrayColumn(type: string, element: NativeColumn): NativeColumn {
  const offsets = offsetsSink();
  const column: NativeColumn = {
    type,
    get rows() {
      return offsets.rows;
    },
    append(value) {
      if (!Array.isArray(value)) throw new Error(`${type} takes an array, not ${describe(value as NativeValue)}`);
      for (const item of value as readonly NativeValue[]) element.append(item);
      offsets.end(value.length);
    },
    appendDefault() {
      offsets.end(0);
    },
    writePrefix(out) {
      element.writePrefix(out);
    },
    writeData(out) {
      offsets.write(out);
      if (element.rows > 0) element.writeData(out);
    },
    reset() {
      offsets.reset();
      element.reset();
    },
  };
  return column;
}

/** Map(K, V) is stored as Array(Tuple(K, V)): the offsets, then every key, then every value. */
function mapColumn(type: string, keys: NativeColumn, values: NativeColumn): NativeColumn {
  const offsets = offsetsSink();
  const column: NativeColumn = {
    type,
    get rows() {
      return offsets.rows;
    },
    append(value) {
      if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Date)
        throw new Error(`${type} takes an object, not ${describe(value)}`);
      let entries = 0;
      const map = value as NativeMap;
      for (const key in map) {
        keys.append(key);
        values.append(map[key] as NativeValue);
        entries++;
      }
      offsets.end(entries);
    },
    appendDefault() {
      offsets.end(0);
    },
    writePrefix(out) {
      keys.writePrefix(out);
      values.writePrefix(out);
    },
    writeData(out) {
      offsets.write(out);
      if (keys.rows > 0) {
        keys.writeData(out);
        values.writeData(out);
      }
    },
    reset() {
      offsets.reset();
      keys.reset();
      values.reset();
    },
  };
  return column;
}

/** LowCardinality serialization: shared dictionaries with additional keys (the only version). */
const KEYS_VERSION = 1;
const HAS_ADDITIONAL_KEYS = 1 << 9;
const NEED_UPDATE_DICTIONARY = 1 << 10;

/**
 * LowCardinality(T): a dictionary of the distinct values of the block and one index a row.
 * With Nullable(T) inside, index 0 is null (its dictionary slot holds T's default).
 */
function lowCardinalityColumn(type: string, innerType: string): NativeColumn {
  const [innerName, innerArgs] = parseType(innerType);
  const nullable = innerName === "Nullable";
  const dictionaryType = nullable ? innerArgs : innerType;
  const dictionary = nativeColumn(dictionaryType);
  // Values are keyed by their text: every dictionary type here has one text per value.
  const positions = new Map<unknown, number>();
  let indexes = new Uint32Array(1024);
  let rows = 0;
  // The last value appended and its position: a column often repeats its value from one row
  // to the next (one organization, one event type, "" for most campaign fields), and an
  // identical value skips the dictionary's lookup.
  let lastValue: NativeValue | undefined;
  let lastPosition = 0;
  const reserveNull = () => {
    if (nullable && dictionary.rows === 0) dictionary.appendDefault();
  };
  const column: NativeColumn = {
    type,
    get rows() {
      return rows;
    },
    append(value) {
      reserveNull();
      let position: number | undefined;
      if (value === lastValue && typeof value === "string") {
        position = lastPosition;
      } else if (value === null) {
        if (!nullable) throw new Error(`${type} takes no null`);
        position = 0;
      } else {
        const key = typeof value === "object" ? String(value) : value;
        position = positions.get(key);
        if (position === undefined) {
          position = dictionary.rows;
          dictionary.append(value);
          positions.set(key, position);
        }
        lastValue = value;
        lastPosition = position;
      }
      if (rows === indexes.length) {
        const grown = new Uint32Array(indexes.length * 2);
        grown.set(indexes);
        indexes = grown;
      }
      indexes[rows++] = position;
    },
    appendDefault() {
      if (nullable) column.append(null);
      else column.append(defaultOf(dictionaryType));
    },
    writePrefix(out) {
      out.u64(KEYS_VERSION);
    },
    writeData(out) {
      if (rows === 0) return;
      const keys = dictionary.rows;
      const width = keys <= 0xff ? 0 : keys <= 0xffff ? 1 : 2;
      out.u64(width | HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY);
      out.u64(keys);
      dictionary.writeData(out);
      out.u64(rows);
      if (width === 0) {
        out.reserve(rows);
        for (let i = 0; i < rows; i++) out.bytes[out.length + i] = indexes[i] as number;
        out.length += rows;
      } else if (width === 1) {
        for (let i = 0; i < rows; i++) out.u16(indexes[i] as number);
      } else {
        for (let i = 0; i < rows; i++) out.u32(indexes[i] as number);
      }
    },
    reset() {
      dictionary.reset();
      positions.clear();
      lastValue = undefined;
      rows = 0;
    },
  };
  return column;
}

/** The default of a type a LowCardinality may wrap, in the form its column takes. */
function defaultOf(type: string): NativeValue {
  if (type === "String" || type.startsWith("FixedString")) return "";
  if (type === "UUID") return "00000000-0000-0000-0000-000000000000";
  if (type === "IPv4") return "0.0.0.0";
  if (type === "IPv6") return "::";
  return 0;
}

/** A block's columns by name, in table order. */
export interface NativeBlockColumn {
  readonly name: string;
  readonly column: NativeColumn;
}

/**
 * One Native block of the columns' rows (every column must hold the same number), appended to
 * `out`. Throws when the row counts differ: a column left out of a row is a bug, never a
 * silent default.
 */
export function writeNativeBlock(columns: readonly NativeBlockColumn[], out: ByteSink): void {
  const rows = columns[0]?.column.rows ?? 0;
  for (const { name, column } of columns) {
    if (column.rows !== rows)
      throw new Error(`column ${name} holds ${column.rows} rows, the block ${rows}: every column takes every row`);
  }
  out.varint(columns.length);
  out.varint(rows);
  for (const { name, column } of columns) {
    out.string(name);
    out.string(column.type);
    column.writePrefix(out);
    column.writeData(out);
  }
}
