import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@trellis/platform";
import { afterAll, expect, it } from "vitest";
import { derivedTableCounts } from "../../../../test/helpers/derived-tables.js";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import {
  createEventBlockBuilder,
  createStore,
  type EventColumnValues,
  eventColumns,
  rollups,
  type Store,
} from "../../src/index.js";

const logger = createLogger({ service: "test", level: "silent" });
const dataDir = tempDir("store-recovery");
const database = testDatabase("recovery");
const spoolDir = join(dataDir, "insert-spool");
const open = () => createStore({ database, dataDir, requestTimeoutMs: 60_000, maxOpenConnections: 2 }, { logger });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Row {
  org: string;
  day: string;
  hour: number;
  id: string;
}

/** Every column its default, but the organization, time and ids of the row. */
const values = Object.fromEntries(
  eventColumns.map((c) => [c.name, () => c.default]),
) as unknown as EventColumnValues<Row>;
Object.assign(values, {
  organization_id: (r: Row) => r.org,
  event_date: (r: Row) => r.day,
  event_time: (r: Row) => `${r.day} ${String(r.hour).padStart(2, "0")}:00:00.000`,
  event_id: (r: Row) => r.id,
  event_type: () => "pageview",
  visitor_id: (r: Row) => `v-${r.id}`,
  retention_days: () => 3650,
});

function block(rows: Row[]): Uint8Array {
  const builder = createEventBlockBuilder<Row>(values);
  for (const row of rows) builder.append(row);
  return builder.finish();
}

const rollupCounts = (store: Store, org: string) => derivedTableCounts(store, database, org);

const rowsOf = (org: string, day: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({ org, day, hour: i % 3, id: `${org}-${day}-${from + i}` }));

it("makes the rollups and landing sessions of the days an interrupted insert names again from the events, and only those", async () => {
  let store = open();
  await store.migrate();
  await store.insertNative(
    "analytics_events",
    [block([...rowsOf("cut", "2026-03-01", 30), ...rowsOf("cut", "2026-03-02", 12)])],
    {
      organizationId: null,
    },
  );
  await store.insertNative("analytics_events", [block(rowsOf("whole", "2026-03-01", 7))], { organizationId: null });
  const truthCut = await rollupCounts(store, "cut");
  const truthWhole = await rollupCounts(store, "whole");
  expect(truthCut.events_daily).toEqual([
    { bucket: "2026-03-01", events: 30 },
    { bucket: "2026-03-02", events: 12 },
  ]);
  // Every event without a session is a session of its own.
  expect(truthCut.landing_sessions).toEqual([
    { bucket: "2026-03-01", events: 30, sessions: 30 },
    { bucket: "2026-03-02", events: 12, sessions: 12 },
  ]);

  // What a process killed between the events table and its views leaves: the events of a
  // batch stored, its rollup rows not (here: every rollup row of "cut" on 2026-03-01 is
  // missing), the journal of the insert, and its body.
  for (const spec of [...rollups, { name: "landing_sessions", bucketColumn: "day" }]) {
    const day = spec.bucketColumn === "day" ? "day" : `toDate(${spec.bucketColumn})`;
    await store.command({
      name: "test.cut",
      sql: `DELETE FROM ${database}.${spec.name} WHERE organization_id = 'cut' AND ${day} = '2026-03-01'`,
      organizationId: null,
    });
  }
  const cut = await rollupCounts(store, "cut");
  expect(cut.events_daily).toEqual([{ bucket: "2026-03-02", events: 12 }]);
  expect(cut.landing_sessions).toEqual([{ bucket: "2026-03-02", events: 12, sessions: 12 }]);
  await store.close();
  writeFileSync(join(spoolDir, "interrupted.touches.json"), JSON.stringify([["cut", "2026-03-01"]]));
  writeFileSync(join(spoolDir, "interrupted.native"), "never inserted");
  // A journal cut off while it was written: its insert never began.
  writeFileSync(join(spoolDir, "torn.touches.json"), '[["cut", "2026-');

  store = open();
  try {
    await store.migrate();
    expect(await rollupCounts(store, "cut")).toEqual(truthCut);
    expect(await rollupCounts(store, "whole")).toEqual(truthWhole);
    expect(readdirSync(spoolDir)).toEqual([]);
    // Done once: the next start has nothing to make again.
    await store.migrate();
    expect(await rollupCounts(store, "cut")).toEqual(truthCut);
  } finally {
    await store.close();
  }
  expect(existsSync(spoolDir)).toBe(true);
});
