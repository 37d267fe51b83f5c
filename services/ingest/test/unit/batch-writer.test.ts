import { createLogger, ResourceExhaustedError, UnavailableError } from "@trellis/platform";
import type { Statement, Store } from "@trellis/store";
import { describe, expect, it } from "vitest";
import { createBatchWriter } from "../../src/adapters/batch-writer.js";

/** A store whose inserts complete when the test says so, recording what was written. */
function controllableStore(existingBatches: Array<{ organization_id: string; batch_id: string }> = []) {
  const inserts: Array<{
    rows: readonly Uint8Array[];
    touches?: readonly (readonly [string, string])[];
    release: (error?: Error) => void;
  }> = [];
  const lookups: Statement[] = [];
  const store = {
    database: "test_db",
    async insertNative(
      _table: string,
      blocks: readonly Uint8Array[],
      options: { touches?: readonly (readonly [string, string])[] },
    ) {
      // Each test block holds one byte a row.
      const rows = blocks.flatMap((block) => [...block].map((byte) => new Uint8Array([byte])));
      await new Promise<void>((resolve, reject) => {
        inserts.push({ rows, touches: options.touches, release: (error) => (error ? reject(error) : resolve()) });
      });
    },
    async query<T>(statement: Statement) {
      lookups.push(statement);
      const ids = (statement.params?.ids as string[]) ?? [];
      return { rows: existingBatches.filter((b) => ids.includes(b.batch_id)) as T[], elapsedMs: 0 };
    },
  } as unknown as Store;
  return { store, inserts, lookups };
}

const logger = createLogger({ service: "test", level: "silent" });
/** A stand-in block of `n` rows (the writer only counts rows and passes blocks on). */
const rows = (n: number) => ({ block: new Uint8Array(n), rows: n });
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
const options = { table: "events", maxBatchRows: 10, flushIntervalMs: 10_000, maxBufferedRows: 25 };

describe("the batch writer", () => {
  it("writes once enough rows are buffered and acknowledges only after the insert", async () => {
    const { store, inserts } = controllableStore();
    const writer = createBatchWriter(store, logger, options);
    let acknowledged = false;
    const first = writer.submit({ organizationId: "a", ...rows(4), dates: new Set(["2026-01-01"]) });
    void first.then(() => (acknowledged = true));
    const second = writer.submit({ organizationId: "b", ...rows(6), dates: new Set(["2026-01-01"]) });
    await settle();
    expect(inserts).toHaveLength(1);
    expect(inserts[0]?.rows).toHaveLength(10);
    // The insert names each organization-day it writes, once (rollups rebuilt after a crash).
    expect(inserts[0]?.touches).toEqual([
      ["a", "2026-01-01"],
      ["b", "2026-01-01"],
    ]);
    expect(acknowledged).toBe(false);
    inserts[0]?.release();
    expect(await first).toMatchObject({ duplicate: false });
    expect(await second).toMatchObject({ duplicate: false, flushId: (await first).flushId });
  });

  it("writes a partial batch at once when no other batch is being prepared", async () => {
    const { store, inserts } = controllableStore();
    const writer = createBatchWriter(store, logger, options);
    const first = writer.submit({ organizationId: "a", ...rows(2), dates: new Set() });
    // Submitted in the same turn: the same flush.
    const second = writer.submit({ organizationId: "b", ...rows(3), dates: new Set() });
    await settle();
    expect(inserts).toHaveLength(1);
    expect(inserts[0]?.rows).toHaveLength(5);
    inserts[0]?.release();
    await expect(first).resolves.toMatchObject({ duplicate: false });
    await expect(second).resolves.toMatchObject({ duplicate: false });
  });

  it("waits for batches announced as being prepared, and then writes them together", async () => {
    const { store, inserts } = controllableStore();
    const writer = createBatchWriter(store, logger, options);
    const preparing = [writer.announce(), writer.announce()];
    const first = writer.submit({ organizationId: "a", ...rows(2), dates: new Set() });
    preparing[0]?.();
    await settle();
    expect(inserts).toHaveLength(0);
    const second = writer.submit({ organizationId: "b", ...rows(3), dates: new Set() });
    preparing[1]?.();
    preparing[1]?.();
    await settle();
    expect(inserts).toHaveLength(1);
    expect(inserts[0]?.rows).toHaveLength(5);
    inserts[0]?.release();
    await Promise.all([first, second]);
  });

  it("writes a partial batch when the flush interval passes, however long others take to prepare", async () => {
    const { store, inserts } = controllableStore();
    const writer = createBatchWriter(store, logger, { ...options, flushIntervalMs: 20 });
    const preparing = writer.announce();
    const pending = writer.submit({ organizationId: "a", ...rows(2), dates: new Set() });
    await settle();
    expect(inserts).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(inserts).toHaveLength(1);
    inserts[0]?.release();
    await expect(pending).resolves.toMatchObject({ duplicate: false });
    preparing();
  });

  it("refuses more than the buffer holds with RESOURCE_EXHAUSTED and a retry hint", async () => {
    const { store, inserts } = controllableStore();
    const writer = createBatchWriter(store, logger, options);
    const accepted = [writer.submit({ organizationId: "a", ...rows(10), dates: new Set() })];
    accepted.push(writer.submit({ organizationId: "a", ...rows(10), dates: new Set() }));
    await settle();
    const refused = writer.submit({ organizationId: "a", ...rows(10), dates: new Set() });
    await expect(refused).rejects.toBeInstanceOf(ResourceExhaustedError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 1 });
    for (const insert of inserts) insert.release();
    await settle();
    for (const insert of inserts) insert.release();
    await Promise.all(accepted);
    expect(writer.depth()).toBe(0);
  });

  it("fails every batch of a failed insert so clients retry them", async () => {
    const { store, inserts } = controllableStore();
    const writer = createBatchWriter(store, logger, options);
    const pending = writer.submit({ organizationId: "a", ...rows(10), dates: new Set() });
    await settle();
    inserts[0]?.release(new Error("disk full"));
    await expect(pending).rejects.toBeInstanceOf(UnavailableError);
    expect(writer.depth()).toBe(0);
  });

  it("recognises a batch already written by this process, by another, or in flight", async () => {
    const { store, inserts, lookups } = controllableStore([{ organization_id: "a", batch_id: "written-elsewhere" }]);
    const writer = createBatchWriter(store, logger, { ...options, flushIntervalMs: 1 });
    const first = writer.submit({
      organizationId: "a",
      batchKey: { batchId: "b1" },
      ...rows(3),
      dates: new Set(["2026-01-01"]),
    });
    const concurrent = writer.submit({
      organizationId: "a",
      batchKey: { batchId: "b1" },
      ...rows(3),
      dates: new Set(["2026-01-01"]),
    });
    await settle();
    expect(inserts).toHaveLength(1);
    expect(inserts[0]?.rows).toHaveLength(3);
    inserts[0]?.release();
    expect(await first).toMatchObject({ duplicate: false });
    expect(await concurrent).toMatchObject({ duplicate: true });
    expect(
      await writer.submit({ organizationId: "a", batchKey: { batchId: "b1" }, ...rows(3), dates: new Set() }),
    ).toMatchObject({
      duplicate: true,
    });
    const elsewhere = writer.submit({
      organizationId: "a",
      batchKey: { batchId: "written-elsewhere" },
      ...rows(3),
      dates: new Set(["2026-01-01"]),
    });
    expect(await elsewhere).toMatchObject({ duplicate: true });
    expect(inserts).toHaveLength(1);
    expect(lookups.at(-1)?.params).toMatchObject({ orgs: ["a"], ids: ["written-elsewhere"], dates: ["2026-01-01"] });
    // The same batch id in another organization is another batch.
    const other = writer.submit({ organizationId: "b", batchKey: { batchId: "b1" }, ...rows(1), dates: new Set() });
    await settle();
    inserts[1]?.release();
    expect(await other).toMatchObject({ duplicate: false });
  });

  it("writes what it accepted on close and refuses anything after", async () => {
    const { store, inserts } = controllableStore();
    const writer = createBatchWriter(store, logger, options);
    const pending = writer.submit({ organizationId: "a", ...rows(2), dates: new Set() });
    const closing = writer.close();
    await settle();
    expect(inserts).toHaveLength(1);
    inserts[0]?.release();
    await closing;
    await expect(pending).resolves.toMatchObject({ duplicate: false });
    await expect(writer.submit({ organizationId: "a", ...rows(1), dates: new Set() })).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });
});
