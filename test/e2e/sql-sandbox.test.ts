import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyTraffic } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;
const ACME_EVENTS = 3 * 10;
const GLOBEX_EVENTS = 3 * 25;

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme", "globex"] });
  await warehouse.insertEvents([
    ...dailyTraffic("acme", "2026-02-01", 3, 10),
    ...dailyTraffic("globex", "2026-02-01", 3, 25),
  ]);
});

afterAll(async () => {
  await warehouse?.close();
});

interface SqlAnswer {
  status: number;
  body: {
    rows?: Array<Record<string, unknown>>;
    normalized_sql?: string;
    error?: { code: string; violations?: Array<{ field: string; reason: string }> };
  };
}

async function sql(
  statement: string,
  parameters: Record<string, string> = {},
  key = warehouse.keys.acme,
): Promise<SqlAnswer> {
  const response = await fetch(`${warehouse.url}/api/v1/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify({ sql: statement, parameters }),
  });
  return { status: response.status, body: (await response.json()) as SqlAnswer["body"] };
}

describe("tenant SQL", () => {
  it("reads the caller's own rows of the tenant tables", async () => {
    const answer = await sql("SELECT organization_id, count() AS n FROM analytics_events GROUP BY organization_id");
    expect(answer.status).toBe(200);
    expect(answer.body.rows).toEqual([{ organization_id: "acme", n: ACME_EVENTS }]);
    expect(answer.body.normalized_sql).toContain("FROM analytics_events");
    const rollup = await sql("SELECT sum(events) AS e, uniqExactIfMerge(visitors) AS v FROM events_daily");
    expect(rollup.body.rows).toEqual([{ e: ACME_EVENTS, v: 7 }]);
    const withParameter = await sql("SELECT count() AS n FROM analytics_events WHERE source = {s:String}", {
      s: "google",
    });
    expect(withParameter.body.rows).toEqual([{ n: ACME_EVENTS / 2 }]);
    const globex = await sql("SELECT count() AS n FROM analytics_events", {}, warehouse.keys.globex);
    expect(globex.body.rows).toEqual([{ n: GLOBEX_EVENTS }]);
  });

  // Every attempt must be refused (400) or answer with the caller's rows only.
  const attempts: string[] = [
    "SELECT * FROM trellis.analytics_events",
    "SELECT * FROM `trellis`.`analytics_events`",
    'SELECT * FROM "trellis"."analytics_events"',
    "SELECT count() FROM default.analytics_events",
    "SELECT * FROM system.tables",
    "SELECT * FROM system.users",
    "SELECT * FROM system.query_log",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM INFORMATION_SCHEMA.COLUMNS",
    "SELECT * FROM organizations",
    "SELECT * FROM api_keys",
    "WITH analytics_events AS (SELECT * FROM trellis.analytics_events) SELECT * FROM analytics_events",
    "WITH x AS (SELECT * FROM system.one) SELECT * FROM x",
    "SELECT * FROM analytics_events UNION ALL SELECT * FROM trellis.analytics_events",
    "SELECT a.* FROM analytics_events a JOIN trellis.analytics_events b ON a.event_id = b.event_id",
    "SELECT (SELECT count() FROM trellis.analytics_events) AS n",
    "SELECT count() FROM analytics_events WHERE event_id IN (SELECT event_id FROM trellis.analytics_events)",
    "SELECT count() FROM analytics_events WHERE organization_id IN trellis.analytics_events",
    "SELECT * FROM merge('trellis', 'analytics')",
    "SELECT * FROM merge(currentDatabase(), '.*')",
    "SELECT * FROM view(SELECT * FROM trellis.analytics_events)",
    "SELECT * FROM loop(trellis.analytics_events) LIMIT 1",
    "SELECT * FROM mergeTreeIndex('trellis', 'analytics_events')",
    "SELECT * FROM mergeTreeParts('trellis', 'analytics_events')",
    "SELECT * FROM file('/etc/passwd', 'LineAsString')",
    "SELECT * FROM url('http://127.0.0.1:6379/', 'LineAsString')",
    "SELECT * FROM s3('http://127.0.0.1:9000/bucket/x.csv')",
    "SELECT * FROM remote('127.0.0.1', 'trellis', 'analytics_events')",
    "SELECT * FROM remoteSecure('127.0.0.1', trellis.analytics_events)",
    "SELECT * FROM executable('id', 'TSV', 'x String')",
    "SELECT * FROM numbers(10)",
    "SELECT dictGet(concat('trel', 'lis.d'), 'x', toUInt64(1))",
    "SELECT joinGet('trellis.j', 'x', 1)",
    "SELECT getSetting('readonly')",
    "SELECT count() FROM analytics_events SETTINGS additional_table_filters = {}",
    "SELECT * FROM (SELECT * FROM analytics_events SETTINGS additional_table_filters = {'trellis.analytics_events': '1'})",
    "SELECT * FROM (SELECT * FROM trellis.analytics_events SETTINGS readonly = 0)",
    "SELECT 1; DROP TABLE trellis.analytics_events",
    "SELECT 1; SELECT * FROM trellis.analytics_events",
    "INSERT INTO analytics_events (organization_id) VALUES ('acme')",
    "DROP TABLE analytics_events",
    "ALTER TABLE analytics_events DELETE WHERE 1",
    "SET readonly = 0",
    "CREATE TABLE x (a Int32) ENGINE = Memory",
    "SYSTEM DROP DNS CACHE",
    "SELECT * FROM analytics_events INTO OUTFILE '/tmp/x.csv'",
    "SELECT * FROM analytics_events FORMAT CSV",
    "SELECT * FROM analytics_events /* comment */ -- ; SELECT * FROM trellis.analytics_events",
    "SELECT * FROM analytics_events WHERE 1 = 1 /*! UNION SELECT * FROM trellis.analytics_events */",
    "SELECT * FROM anаlytics_events",
    "SELECT * FROM `analytics_events\u0000`",
    "EXPLAIN QUERY TREE SELECT * FROM url('http://127.0.0.1:1/')",
    "EXPLAIN PLAN SELECT * FROM trellis.analytics_events",
    "SELECT sleepEachRow(1) FROM analytics_events",
    "SELECT * FROM analytics_events AS t WHERE t.organization_id = 'globex'",
    "SELECT * FROM analytics_events WHERE organization_id != 'acme'",
    "SELECT * FROM events_daily WHERE organization_id = 'globex'",
    "WITH (SELECT groupArray(event_id) FROM trellis.analytics_events) AS ids SELECT ids",
  ];

  it.each(attempts.map((a, i) => [i, a] as const))(
    "bypass attempt %i is refused or sees only the caller's rows",
    async (_i, attempt) => {
      const answer = await sql(attempt);
      if (answer.status === 200) {
        for (const row of answer.body.rows ?? []) {
          if ("organization_id" in row) expect(row.organization_id).toBe("acme");
        }
        const text = JSON.stringify(answer.body.rows);
        expect(text).not.toContain("globex");
      } else {
        expect(answer.status).toBe(400);
        expect(answer.body.error?.violations?.[0]?.field).toBe("sql");
      }
    },
  );

  it("covers at least 40 bypass attempts", () => {
    expect(attempts.length).toBeGreaterThanOrEqual(40);
  });

  it("explains why a statement was refused", async () => {
    expect((await sql("SELECT * FROM system.tables")).body.error?.violations?.[0]?.reason).toContain(
      "qualified table names are not allowed",
    );
    expect((await sql("SELECT * FROM file('x')")).body.error?.violations?.[0]?.reason).toContain(
      "table function file() is not allowed",
    );
    expect((await sql("SELECT 1 SETTINGS max_threads = 1")).body.error?.violations?.[0]?.reason).toContain(
      "SETTINGS are not allowed",
    );
    expect((await sql("SELEC 1")).body.error?.violations?.[0]?.reason).toMatch(/^does not parse/);
  });

  it("needs the sql:run scope", async () => {
    const readOnly = await warehouse.createKey("acme", ["analytics:read"]);
    expect((await sql("SELECT 1", {}, readOnly)).status).toBe(403);
  });
});
