import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { createStore, type Store } from "../../src/index.js";

const logger = createLogger({ service: "test", level: "silent" });
// A quote in the data directory's path must not break the statement that names the spool file.
const dataDir = join(tempDir("store-lines"), "it's here");
const spoolDir = join(dataDir, "insert-spool");
const database = testDatabase("lines");
let store: Store;

beforeAll(async () => {
  mkdirSync(spoolDir, { recursive: true });
  writeFileSync(join(spoolDir, "left-by-a-crash.jsonl"), '{"id":"never inserted"}\n');
  store = createStore({ database, dataDir, requestTimeoutMs: 30_000, maxOpenConnections: 2 }, { logger });
  await store.command({ name: "test.database", sql: `CREATE DATABASE ${database}`, organizationId: null });
});

afterAll(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("insertJsonLines on the embedded engine", () => {
  it("removes spool files left behind when the store opens", () => {
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it("stores every line exactly, omitted columns taking their type's default", async () => {
    await store.command({
      name: "test.table",
      sql: `CREATE TABLE ${database}.lines (id String, n UInt32, tags Map(String, String), note String) ENGINE = MergeTree ORDER BY id`,
      organizationId: null,
    });
    const rows = [
      { id: "a", n: 1, tags: { k: "v" }, note: "plain" },
      { id: "b", n: 2, tags: {}, note: "quote ' and \" and \\ and a\nnewline and a\ttab" },
      { id: "c", n: 3, tags: { clé: "valeur ✓", emoji: "🦀" }, note: "ünïcödé" },
      { id: "d" },
    ];
    await store.insertJsonLines(
      "lines",
      rows.map((r) => JSON.stringify(r)),
      { organizationId: null },
    );
    const { rows: stored } = await store.query<{ id: string; n: number; tags: Record<string, string>; note: string }>({
      name: "test.read",
      sql: `SELECT id, n, tags, note FROM ${database}.lines ORDER BY id`,
      organizationId: null,
    });
    expect(stored).toEqual([rows[0], rows[1], rows[2], { id: "d", n: 0, tags: {}, note: "" }]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it("rejects a malformed batch as a whole, storing none of it and leaving no file", async () => {
    await store.command({
      name: "test.table",
      sql: `CREATE TABLE ${database}.strict (id String, n UInt32) ENGINE = MergeTree ORDER BY id`,
      organizationId: null,
    });
    await expect(
      store.insertJsonLines("strict", ['{"id":"ok","n":1}', '{"id":"bad","n":"not a number"}'], {
        organizationId: null,
      }),
    ).rejects.toThrow();
    const { rows } = await store.query<{ c: string }>({
      name: "test.count",
      sql: `SELECT count() AS c FROM ${database}.strict`,
      organizationId: null,
    });
    expect(Number(rows[0]?.c)).toBe(0);
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
