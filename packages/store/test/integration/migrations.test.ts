import { rmSync } from "node:fs";
import { createLogger } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { createStore, eventColumns, migrations, renderSchema, type Store } from "../../src/index.js";
import { DISCOVERY_HISTORY_DAYS } from "../../src/migrations/0010-discovery.js";

const logger = createLogger({ service: "test", level: "silent" });
const dataDir = tempDir("store");
const database = testDatabase("store");
let store: Store;

beforeAll(() => {
  store = createStore({ database, dataDir, requestTimeoutMs: 30_000, maxOpenConnections: 2 }, { logger });
});

afterAll(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function formatted(sql: string): Promise<string> {
  const { rows } = await store.query<{ f: string }>({
    name: "test.format",
    sql: "SELECT formatQuery({sql:String}) AS f",
    params: { sql },
    organizationId: null,
  });
  return rows[0]?.f ?? "";
}

describe("migrations", () => {
  it("apply every version once and nothing on a second run, and say what is pending", async () => {
    expect(await store.pendingMigrations()).toEqual(migrations.map((m) => m.version));
    expect(await store.migrate()).toEqual(migrations.map((m) => m.version));
    expect(await store.pendingMigrations()).toEqual([]);
    expect(await store.migrate()).toEqual([]);
  });

  it("create the events table partitioned by month and keyed by organization first", async () => {
    const { rows } = await store.query<{ partition_key: string; sorting_key: string; engine: string }>({
      name: "test.tables",
      sql: "SELECT partition_key, sorting_key, engine FROM system.tables WHERE database = {db:String} AND name = 'analytics_events'",
      params: { db: database },
      organizationId: null,
    });
    expect(rows[0]?.engine).toBe("MergeTree");
    expect(rows[0]?.partition_key).toBe("toYYYYMM(event_date)");
    expect(rows[0]?.sorting_key.startsWith("organization_id, event_date")).toBe(true);
  });

  it("merge the events table's parts column by column however small they are", async () => {
    const { rows } = await store.query<{ engine_full: string }>({
      name: "test.tables",
      sql: "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'analytics_events'",
      params: { db: database },
      organizationId: null,
    });
    expect(rows[0]?.engine_full).toContain("vertical_merge_algorithm_min_rows_to_activate = 1");
  });

  it("keep the raw request: URL, referrer, user agent, parameters and headers, and no raw IP", async () => {
    const { rows } = await store.query<{ name: string; type: string }>({
      name: "test.columns",
      sql: "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = 'analytics_events'",
      params: { db: database },
      organizationId: null,
    });
    const types = Object.fromEntries(rows.map((r) => [r.name, r.type]));
    expect(types.url).toBe("String");
    expect(types.user_agent).toBe("String");
    expect(types.query_params).toBe("Map(LowCardinality(String), String)");
    expect(types.headers).toBe("Map(LowCardinality(String), String)");
    expect(types.ip_hash).toBe("UInt64");
    expect(types.ip_anonymized).toBe("IPv6");
    expect(Object.keys(types)).not.toContain("ip");
    expect(types.organization_id).toBe("LowCardinality(String)");
  });

  it("create analytics_events with exactly the event definition's columns, types and codecs", async () => {
    const { rows } = await store.query<{ name: string; type: string; default_kind: string; codec: string }>({
      name: "test.event_columns",
      sql: `SELECT name, type, default_kind, compression_codec AS codec FROM system.columns
            WHERE database = {db:String} AND table = 'analytics_events' ORDER BY position`,
      params: { db: database },
      organizationId: null,
    });
    expect(rows.map((r) => [r.name, r.type])).toEqual(eventColumns.map((c) => [c.name, c.type]));
    // No DEFAULT expressions: a column left out of an insert holds its type's default.
    expect(rows.filter((r) => r.default_kind !== "").map((r) => r.name)).toEqual([]);
    // The engine spells out the argument Delta takes from the type (Delta(8)).
    expect(rows.map((r) => [r.name, r.codec.replace(/Delta\(\d+\)/g, "Delta")])).toEqual(
      eventColumns.map((c) => [c.name, "codec" in c ? `CODEC(${c.codec})` : ""]),
    );
  });

  it("store each column's listed default for a row that leaves it out", async () => {
    await store.insert("analytics_events", [{ organization_id: "defaults" }], { organizationId: null });
    const { rows } = await store.query<Record<string, unknown>>({
      name: "test.event_defaults",
      sql: `SELECT * FROM ${database}.analytics_events WHERE organization_id = 'defaults'
            SETTINGS date_time_output_format = 'simple', output_format_json_quote_64bit_integers = 1`,
      organizationId: null,
    });
    const defaults = Object.fromEntries(eventColumns.map((c) => [c.name, c.default]));
    expect(rows).toEqual([{ ...defaults, organization_id: "defaults" }]);
  });

  it("keep discovery runs and webhook deliveries for DISCOVERY_HISTORY_DAYS, then drop them", async () => {
    const now = Date.now();
    const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString().replace("T", " ").slice(0, 23);
    const runs = [5, DISCOVERY_HISTORY_DAYS + 5].map((daysAgo) => ({
      organization_id: "history",
      run_id: `run_${daysAgo}`,
      kind: "anomalies",
      created_at: at(daysAgo),
    }));
    await store.insert("discovery_runs", runs, { organizationId: "history" });
    const deliveries = [5, DISCOVERY_HISTORY_DAYS + 5].map((daysAgo) => ({
      organization_id: "history",
      delivery_id: `dlv_${daysAgo}`,
      at: at(daysAgo),
    }));
    await store.insert("discovery_webhook_deliveries", deliveries, { organizationId: "history" });
    const kept = async (table: string, column: string) => {
      // Merging applies the table's TTL now rather than at the engine's next merge.
      await store.command({
        name: "test.optimize",
        sql: `OPTIMIZE TABLE ${database}.${table} FINAL`,
        organizationId: null,
      });
      const { rows } = await store.query<{ id: string }>({
        name: "test.history",
        sql: `SELECT ${column} AS id FROM ${database}.${table} WHERE organization_id = 'history' ORDER BY id`,
        organizationId: "history",
      });
      return rows.map((r) => r.id);
    };
    expect(await kept("discovery_runs", "run_id")).toEqual(["run_5"]);
    expect(await kept("discovery_webhook_deliveries", "delivery_id")).toEqual(["dlv_5"]);
  });

  it("render cluster DDL that ClickHouse's own parser accepts", async () => {
    const statements = renderSchema({ database: "trellis", cluster: "analytics" });
    expect(statements.length).toBeGreaterThan(migrations.length);
    for (const sql of statements) {
      const normalized = await formatted(sql);
      expect(normalized, sql).toContain("ON CLUSTER analytics");
    }
    const events = statements.filter((s) => s.includes("analytics_events"));
    expect(events.some((s) => /ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}/.test(s))).toBe(true);
    expect(events.some((s) => s.includes("ENGINE = Distributed(analytics, trellis, analytics_events_local"))).toBe(
      true,
    );
    const keys = statements.find((s) => s.includes("trellis.api_keys"));
    expect(keys).toMatch(
      /ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/all\/trellis\/api_keys', '\{replica\}', updated_at\)/,
    );
  });

  it("render single-node DDL without cluster clauses", async () => {
    for (const sql of renderSchema({ database: "trellis" })) {
      const normalized = await formatted(sql);
      expect(normalized).not.toContain("ON CLUSTER");
      expect(normalized).not.toContain("Replicated");
    }
  });
});
