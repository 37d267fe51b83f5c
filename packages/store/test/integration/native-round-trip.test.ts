import { rmSync } from "node:fs";
import { createLogger } from "@trellis/platform";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import {
  ByteSink,
  createStore,
  eventColumns,
  type NativeValue,
  nativeColumn,
  type Store,
  writeNativeBlock,
} from "../../src/index.js";

const logger = createLogger({ service: "test", level: "silent" });
const dataDir = tempDir("store-native");
const database = testDatabase("native");
let store: Store;

beforeAll(async () => {
  store = createStore({ database, dataDir, requestTimeoutMs: 60_000, maxOpenConnections: 2 }, { logger });
  await store.command({ name: "test.database", sql: `CREATE DATABASE ${database}`, organizationId: null });
});

afterAll(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const dayText = (days: number) => new Date(days * 86_400_000).toISOString().slice(0, 10);
const secondText = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
const text = fc.oneof(
  fc.constant(""),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constantFrom("quote ' \" \\ \n \t", "\u0000nul", "🦀 ünïcödé", "x".repeat(5000)),
);
const shortText = fc.string({ unit: "binary", maxLength: 12 });
const map = fc.oneof(
  fc.dictionary(shortText, text, { maxKeys: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), shortText, { minKeys: 100, maxKeys: 300 }),
);
const int = (bits: number, signed: boolean) =>
  signed
    ? fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 })
    : fc.integer({ min: 0, max: 2 ** bits - 1 });
const bigText = (min: bigint, max: bigint) =>
  fc.oneof(fc.constantFrom(min, max, 0n), fc.bigInt({ min, max })).map((n) => n.toString());
const decimalText = (precision: number, scale: number) =>
  bigText(-(10n ** BigInt(precision)) + 1n, 10n ** BigInt(precision) - 1n).map((units) => {
    const negative = units.startsWith("-");
    const digits = (negative ? units.slice(1) : units).padStart(scale + 1, "0");
    return `${negative ? "-" : ""}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  });
const ms1900 = Date.UTC(1900, 0, 1);
const ms2299 = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

/**
 * Every type the encoder covers, each with values in the form a JSONEachRow row gives the
 * engine (so the same value goes both ways): numbers beyond 2^53 and decimals as text.
 */
const columns: Array<{ name: string; type: string; values: fc.Arbitrary<NativeValue> }> = [
  { name: "s", type: "String", values: text },
  { name: "fs", type: "FixedString(8)", values: fc.string({ unit: "grapheme-ascii", maxLength: 8 }) },
  { name: "lc", type: "LowCardinality(String)", values: fc.constantFrom("", "google", "bing", "ünï", "x".repeat(300)) },
  {
    name: "lcn",
    type: "LowCardinality(Nullable(String))",
    values: fc.option(fc.constantFrom("", "a", "b"), { nil: null }),
  },
  { name: "ns", type: "Nullable(String)", values: fc.option(text, { nil: null }) },
  { name: "ni", type: "Nullable(Int32)", values: fc.option(int(32, true), { nil: null }) },
  { name: "m", type: "Map(LowCardinality(String), String)", values: map },
  { name: "ms", type: "Map(String, String)", values: map },
  { name: "mi", type: "Map(String, UInt64)", values: fc.dictionary(shortText, fc.nat(), { maxKeys: 4 }) },
  {
    name: "a",
    type: "Array(LowCardinality(String))",
    values: fc.array(fc.constantFrom("bot", "vpn", ""), { maxLength: 4 }),
  },
  {
    name: "an",
    type: "Array(Nullable(Int64))",
    values: fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 4 }),
  },
  { name: "as", type: "Array(String)", values: fc.array(text, { maxLength: 3 }) },
  { name: "u8", type: "UInt8", values: int(8, false) },
  { name: "u16", type: "UInt16", values: int(16, false) },
  { name: "u32", type: "UInt32", values: int(32, false) },
  { name: "u64", type: "UInt64", values: bigText(0n, 2n ** 64n - 1n) },
  { name: "i8", type: "Int8", values: int(8, true) },
  { name: "i16", type: "Int16", values: int(16, true) },
  { name: "i32", type: "Int32", values: int(32, true) },
  { name: "i64", type: "Int64", values: bigText(-(2n ** 63n), 2n ** 63n - 1n) },
  { name: "i128", type: "Int128", values: bigText(-(2n ** 127n), 2n ** 127n - 1n) },
  {
    name: "f32",
    type: "Float32",
    values: fc.float({ noNaN: true, noDefaultInfinity: true }).filter((f) => !Object.is(f, -0)),
  },
  {
    name: "f64",
    type: "Float64",
    values: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((f) => !Object.is(f, -0)),
  },
  { name: "d9", type: "Decimal(9, 2)", values: int(30, true).map((cents) => cents / 100) },
  { name: "d18", type: "Decimal(18, 4)", values: decimalText(18, 4) },
  { name: "d38", type: "Decimal(38, 10)", values: decimalText(38, 10) },
  { name: "date", type: "Date", values: fc.integer({ min: 0, max: 65_535 }).map(dayText) },
  { name: "date32", type: "Date32", values: fc.integer({ min: -25_567, max: 120_529 }).map(dayText) },
  { name: "dt", type: "DateTime('UTC')", values: fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(secondText) },
  {
    name: "dt3",
    type: "DateTime64(3, 'UTC')",
    values: fc
      .integer({ min: ms1900, max: ms2299 })
      .map((ms) => new Date(ms).toISOString().slice(0, 23).replace("T", " ")),
  },
  {
    name: "dt6",
    type: "DateTime64(6, 'UTC')",
    values: fc
      .tuple(fc.integer({ min: ms1900 / 1000, max: Math.floor(ms2299 / 1000) }), fc.integer({ min: 0, max: 999_999 }))
      .map(([s, micros]) => `${secondText(s)}.${pad(micros, 6)}`),
  },
  { name: "uuid", type: "UUID", values: fc.uuid() },
  { name: "ip4", type: "IPv4", values: fc.ipV4() },
  {
    name: "ip6",
    type: "IPv6",
    values: fc.oneof(fc.ipV6(), fc.ipV4(), fc.constantFrom("::", "::1", "2001:db8::ff00:42:8329")),
  },
  { name: "e8", type: "Enum8('a' = 1, 'b' = -2, 'ç\\'x' = 127)", values: fc.constantFrom("a", "b", "ç'x") },
  { name: "e16", type: "Enum16('low' = -32768, 'high' = 32767)", values: fc.constantFrom("low", "high") },
  { name: "b", type: "Bool", values: fc.boolean() },
];

const rowArbitrary = fc.record(
  Object.fromEntries(columns.map((c) => [c.name, c.values])) as Record<string, fc.Arbitrary<NativeValue>>,
);

/** Rows as Native blocks of at most `blockRows` rows each, through the encoder under test. */
function nativeBlocks(
  spec: ReadonlyArray<{ name: string; type: string }>,
  rows: ReadonlyArray<Record<string, NativeValue>>,
  blockRows: number,
): Uint8Array[] {
  const block = spec.map((c) => ({ name: c.name, column: nativeColumn(c.type) }));
  const blocks: Uint8Array[] = [];
  for (let start = 0; start < rows.length; start += blockRows) {
    for (const row of rows.slice(start, start + blockRows)) {
      for (const { name, column } of block) column.append(row[name] as NativeValue);
    }
    const out = new ByteSink();
    writeNativeBlock(block, out);
    blocks.push(out.written().slice());
    for (const { column } of block) column.reset();
  }
  return blocks;
}

async function readAll(table: string): Promise<string> {
  return store.queryText(
    { name: "test.read", sql: `SELECT * FROM ${database}.${table} ORDER BY id`, organizationId: null },
    "JSONEachRow",
  );
}

async function createPair(definition: string): Promise<void> {
  for (const table of ["via_native", "via_json"]) {
    await store.command({
      name: "test.table",
      sql: `CREATE OR REPLACE TABLE ${database}.${table} (${definition}) ENGINE = MergeTree ORDER BY id`,
      organizationId: null,
    });
  }
}

describe("Native blocks against the embedded engine", () => {
  it("store the same rows as JSONEachRow, for every column type", async () => {
    await createPair(["id UInt32", ...columns.map((c) => `\`${c.name}\` ${c.type}`)].join(", "));
    const spec = [{ name: "id", type: "UInt32" }, ...columns];
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArbitrary, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 40 }),
        async (generated, blockRows) => {
          const rows = generated.map((row, id) => ({ id, ...row }));
          for (const table of ["via_native", "via_json"])
            await store.command({
              name: "test.truncate",
              sql: `TRUNCATE TABLE ${database}.${table}`,
              organizationId: null,
            });
          await store.insertNative("via_native", nativeBlocks(spec, rows, blockRows), { organizationId: null });
          await store.insertJsonLines(
            "via_json",
            rows.map((row) => JSON.stringify(row)),
            { organizationId: null },
          );
          const [native, json] = [await readAll("via_native"), await readAll("via_json")];
          expect(native.split("\n").length).toBe(rows.length + 1);
          expect(native).toBe(json);
        },
      ),
      { numRuns: 25 },
    );
  }, 300_000);

  it("store each event column's declared default the way an insert that leaves it out does", async () => {
    await createPair(["id UInt32", ...eventColumns.map((c) => `\`${c.name}\` ${c.type}`)].join(", "));
    const spec = [{ name: "id", type: "UInt32" }, ...eventColumns];
    const defaults = Object.fromEntries(eventColumns.map((c) => [c.name, c.default as NativeValue]));
    await store.insertNative("via_native", nativeBlocks(spec, [{ id: 1, ...defaults }], 1), { organizationId: null });
    await store.insertJsonLines("via_json", ['{"id":1}'], { organizationId: null });
    expect(await readAll("via_native")).toBe(await readAll("via_json"));
  });

  it("refuse a block whose columns hold different numbers of rows", () => {
    const a = { name: "a", column: nativeColumn("String") };
    const b = { name: "b", column: nativeColumn("UInt8") };
    a.column.append("x");
    expect(() => writeNativeBlock([a, b], new ByteSink())).toThrow("column b holds 0 rows, the block 1");
  });

  it("refuse a value of the wrong kind, naming the type", () => {
    expect(() => nativeColumn("UInt32").append("many")).toThrow("UInt32 takes a number");
    expect(() => nativeColumn("IPv6").append("not-an-ip")).toThrow("not an IPv6 address");
    expect(() => nativeColumn("Enum8('a' = 1)").append("z")).toThrow("has no element");
    expect(() => nativeColumn("Tuple(String)")).toThrow("does not know the ClickHouse type");
  });
});
