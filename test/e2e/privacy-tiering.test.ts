// The cold tier: on the embedded engine a second local disk (TRELLIS_COLD_PATH) is the cold
// volume of the `tiered` storage policy; months older than TRELLIS_COLD_AFTER_DAYS move there,
// and every question over old and new ranges answers as a warehouse without tiering does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@trellis/platform";
import { createStore, rollups, type Store } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyTraffic, type EventSpec, eventRow } from "../helpers/events.js";
import { testDatabase } from "../helpers/names.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;
let untiered: Store;
const cold = mkdtempSync(join(tmpdir(), "trellis-cold-"));
const specs: EventSpec[] = [
  ...dailyTraffic("acme", "2024-03-01", 40, 12),
  ...dailyTraffic("acme", "2026-11-01", 20, 12),
  ...dailyTraffic("globex", "2024-05-01", 10, 9),
];

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex"],
    env: { TRELLIS_COLD_PATH: cold, TRELLIS_COLD_AFTER_DAYS: "365" },
  });
  await warehouse.insertEvents(specs);
  untiered = createStore(
    {
      database: testDatabase("flat"),
      dataDir: warehouse.dataDir,
      requestTimeoutMs: 60_000,
      maxOpenConnections: 4,
      coldAfterDays: 0,
    },
    { logger: createLogger({ service: "test", level: "silent" }) },
  );
  await untiered.migrate();
  await untiered.insert("analytics_events", specs.map(eventRow), { organizationId: null });
});

afterAll(async () => {
  await untiered?.close();
  await warehouse?.close();
  rmSync(cold, { recursive: true, force: true });
});

async function rows<T>(store: Store, sql: string, params: Record<string, unknown> = {}) {
  return (await store.query<T>({ name: "test.tiering", sql, params, organizationId: null })).rows;
}

describe("the cold tier", () => {
  it("moves old months to the cold disk, by the engine's own system tables", async () => {
    const db = warehouse.database;
    const [policy] = await rows<{ storage_policy: string; engine_full: string }>(
      warehouse.embedded.store,
      "SELECT storage_policy, engine_full FROM system.tables WHERE database = {db:String} AND name = 'analytics_events'",
      { db },
    );
    expect(policy?.storage_policy).toBe("tiered");
    expect(policy?.engine_full).toContain("TO VOLUME 'cold'");
    // Background moves take their time: make them now.
    for (const table of ["analytics_events", ...rollups.map((r) => r.name)]) {
      await warehouse.embedded.store.command({
        name: "test.materialize",
        sql: `ALTER TABLE ${db}.${table} MATERIALIZE TTL SETTINGS mutations_sync = 2`,
        organizationId: null,
      });
    }
    const parts = await rows<{ table: string; partition: string; disk: string }>(
      warehouse.embedded.store,
      `SELECT table, partition, groupUniqArray(disk_name)[1] AS disk, uniqExact(disk_name) AS disks FROM system.parts
WHERE database = {db:String} AND active GROUP BY table, partition ORDER BY table, partition`,
      { db },
    );
    const raw = parts.filter((p) => p.table === "analytics_events");
    expect(raw.map((p) => [p.partition, p.disk])).toEqual([
      ["202403", "cold"],
      ["202404", "cold"],
      ["202405", "cold"],
      ["202611", "default"],
    ]);
    for (const rollup of rollups) {
      for (const part of parts.filter((p) => p.table === rollup.name)) {
        expect(part.disk).toBe(part.partition < "202512" ? "cold" : "default");
      }
    }
    const [disk] = await rows<{ path: string }>(
      warehouse.embedded.store,
      "SELECT path FROM system.disks WHERE name = 'cold'",
    );
    expect(disk?.path).toBe(`${cold}/`);
  });

  it("answers over hot and cold months exactly as a warehouse without tiering", async () => {
    const questions = [
      `SELECT organization_id, toYYYYMM(event_date) AS m, count() AS n, uniqExact(visitor_id) AS v, sum(conversion_value) AS r
FROM {db:Identifier}.analytics_events GROUP BY organization_id, m ORDER BY organization_id, m`,
      `SELECT organization_id, toYYYYMM(day) AS m, sum(events) AS n, uniqExactIfMerge(visitors) AS v
FROM {db:Identifier}.events_daily_totals GROUP BY organization_id, m ORDER BY organization_id, m`,
      `SELECT organization_id, source, sum(events) AS n FROM {db:Identifier}.events_hourly
WHERE hour >= '2024-03-15' AND hour < '2026-11-10' GROUP BY organization_id, source ORDER BY organization_id, source`,
    ];
    for (const sql of questions) {
      const tiered = await rows(warehouse.embedded.store, sql, { db: warehouse.database });
      const flat = await rows(untiered, sql, { db: untiered.database });
      expect(tiered.length).toBeGreaterThan(0);
      expect(tiered).toEqual(flat);
    }
    // Through the API too: a range over both tiers.
    const response = await fetch(
      `${warehouse.url}/api/v1/analytics/traffic?start_date=2024-01-01&end_date=2026-12-31&group_by=month`,
      { headers: { authorization: `Bearer ${warehouse.keys.acme}` } },
    );
    const totals = ((await response.json()) as { totals: { events: string } }).totals;
    expect(Number(totals.events)).toBe(specs.filter((s) => s.organizationId === "acme").length);
  });
});
