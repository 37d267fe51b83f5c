import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyTraffic } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

// The tenant SQL sandbox as an attacker meets it, on the worst configuration: the product's
// own tables in the database named `default`. Every statement must be refused (400 naming
// `sql`) or answer with the caller's rows only; nothing of another organization, of the
// product's own tables or of its database names may come back.

const SECRET = "globex-secret-source";
let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex"],
    env: { TRELLIS_CLICKHOUSE_DATABASE: "default" },
  });
  await warehouse.insertEvents([
    ...dailyTraffic("acme", "2026-02-01", 3, 10),
    ...dailyTraffic("globex", "2026-02-01", 3, 25).map((e) => ({ ...e, source: SECRET })),
  ]);
});

afterAll(async () => {
  await warehouse?.close();
});

interface Answer {
  status: number;
  text: string;
  body: {
    rows?: Array<Record<string, unknown>>;
    meta?: Record<string, unknown>;
    error?: { code: string; message: string; violations?: Array<{ field: string; reason: string }> };
  };
}

async function sql(statement: string, parameters: Record<string, string> = {}, key = warehouse.keys.acme) {
  const response = await fetch(`${warehouse.url}/api/v1/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify({ sql: statement, parameters }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) } as Answer;
}

/** Nothing of another organization or of the product's own tables is in the answer. */
function expectNothingForeign(answer: Answer, statement = ""): void {
  expect(answer.text).not.toContain(SECRET);
  // What the caller wrote may come back (the normalized statement, an echo in an error).
  const own = (text: string) => statement.includes(text);
  if (!own("globex")) expect(answer.text).not.toContain("globex");
  expect(answer.text).not.toMatch(/key_hash|trk_|Organization acme|Maybe you meant|_sandbox/);
  if (!own("default")) expect(answer.text).not.toMatch(/\bdefault\./);
  for (const row of answer.body.rows ?? []) {
    if ("organization_id" in row) expect(row.organization_id).toBe("acme");
    expect(JSON.stringify(row)).not.toContain("globex");
  }
}

function expectRefused(answer: Answer, reason?: RegExp): void {
  expect(answer.status).toBe(400);
  expect(answer.body.error?.violations?.[0]?.field).toBe("sql");
  if (reason) expect(answer.body.error?.violations?.[0]?.reason).toMatch(reason);
  expectNothingForeign(answer);
}

describe("the first layer reads structure, not text", () => {
  it.each([
    ["a CTE named like a product table", "WITH api_keys AS (SELECT * FROM api_keys) SELECT * FROM api_keys"],
    ["a CTE-shaped string literal", "SELECT ', organizations AS (' AS s, * FROM organizations"],
    ["a CTE-shaped string literal, other quotes", 'SELECT ", organizations AS (" AS s FROM organizations'],
    ["a line break in a backticked alias", "SELECT (0 AS `x\n      Literal 1`) IN system.one AS r"],
    ["a carriage return in an identifier", "SELECT 1 AS `a\rb` FROM analytics_events"],
    ["a line separator in an identifier", "SELECT 1 AS `a\u2028b` FROM analytics_events"],
    [
      "a CTE named like a tenant table, column-list form",
      "WITH analytics_events (a) AS (SELECT 1) SELECT * FROM analytics_events",
    ],
    ["an aggregate named in a string", "SELECT arrayReduce('groupConcat', [source]) FROM analytics_events"],
    ["an aggregate named in a string, other case", "SELECT arrayReduce('GROUPCONCAT', [source]) FROM analytics_events"],
    ["an aggregate named in a type", "SELECT CAST(1, 'AggregateFunction(groupConcat, String)')"],
    ["FORMAT", "SELECT 1 FORMAT JSONEachRow"],
    ["FORMAT after a tenant table", "SELECT * FROM analytics_events FORMAT TabSeparated"],
    ["INTO OUTFILE", "SELECT 1 INTO OUTFILE 'x.csv'"],
    ["a product table, unqualified", "SELECT * FROM organizations"],
    ["the rulesets table", "SELECT * FROM campaign_rulesets"],
    ["the migrations table", "SELECT * FROM schema_migrations"],
    ["a product table in a subquery", "SELECT (SELECT count() FROM api_keys) AS n"],
    ["a product table in IN", "SELECT 1 WHERE 1 IN (SELECT 1 FROM api_keys)"],
    ["a forbidden function in other case", "SELECT CURRENTDATABASE()"],
    ["two statements", "SELECT 1; SELECT 2"],
    ["an unterminated quote", "SELECT 'abc"],
  ])("refuses %s", async (_label, statement) => {
    expectRefused(await sql(statement));
  });

  it("keeps the product's tables out of reach whatever the database is called (here: default)", async () => {
    for (const table of ["api_keys", "organizations", "campaign_rulesets", "schema_migrations"]) {
      expectRefused(await sql(`WITH x AS (SELECT * FROM ${table}) SELECT * FROM x`));
    }
  });

  it("names no internal table or database in its errors, and repeats little of a long name", async () => {
    const typo = await sql("SELECT * FROM analytics_event");
    expectRefused(typo);
    const long = await sql(`SELECT * FROM ${"a".repeat(60_000)}`);
    expectRefused(long, /at most 128 characters/);
    expect(long.text.length).toBeLessThan(1000);
    const unknownColumn = await sql(`SELECT ${"b".repeat(100)} FROM analytics_events`);
    expectRefused(unknownColumn);
    expect(unknownColumn.text.length).toBeLessThan(1500);
  });

  it("agrees with the engine on which functions an allowed name may mean in any case", async () => {
    const { rows } = await warehouse.embedded.store.query<{ name: string; alias_to: string; case_insensitive: number }>(
      {
        name: "test.functions",
        sql: "SELECT name, alias_to, case_insensitive FROM system.functions",
        organizationId: null,
      },
    );
    const { allowedFunctionNames } = await import("../../services/query/src/questions/sql/functions.js");
    const allowed = new Set(allowedFunctionNames.map((n) => n.toLowerCase()));
    const exact = new Set(allowedFunctionNames);
    // A name that matches an allowed one only when case is ignored must be the same function:
    // either registered case-insensitively, or an alias of an allowed function.
    // toTimezone is the engine's second spelling of toTimeZone (same implementation).
    const sameFunction = new Set(["toTimezone"]);
    const strangers = rows.filter(
      (f) =>
        allowed.has(f.name.toLowerCase()) &&
        !exact.has(f.name) &&
        !sameFunction.has(f.name) &&
        !f.case_insensitive &&
        !exact.has(f.alias_to) &&
        !allowedFunctionNames.some(
          (a) => a.toLowerCase() === f.name.toLowerCase() && rows.some((r) => r.name === a && r.case_insensitive),
        ),
    );
    expect(strangers).toEqual([]);
  });
});

describe("valid SQL works", () => {
  it("takes quotes in literals and parameters", async () => {
    const quoted = await sql("SELECT 'it''s' AS a, 'say \"hi\"' AS b, 'back\\\\slash' AS c");
    expect(quoted.status).toBe(200);
    expect(quoted.body.rows).toEqual([{ a: "it's", b: 'say "hi"', c: "back\\slash" }]);
    const parameter = await sql("SELECT {name:String} AS name, {q:String} AS q", { name: "O'Brien", q: 'a "b"' });
    expect(parameter.body.rows).toEqual([{ name: "O'Brien", q: 'a "b"' }]);
  });

  it("takes typed parameters of every scalar type", async () => {
    const answer = await sql(
      "SELECT {i:Int32} AS i, {u:UInt64} AS u, {f:Float64} AS f, {d:Date} AS d, {t:DateTime('UTC')} AS t, {b:Bool} AS b, {id:UUID} AS id, {a:Array(String)} AS a, {n:Nullable(String)} AS n, {dec:Decimal(10, 2)} AS dec",
      {
        i: "-42",
        u: "9007199254740991",
        f: "1.5",
        d: "2026-02-01",
        t: "2026-02-01 10:00:00",
        b: "true",
        id: "123e4567-e89b-12d3-a456-426614174000",
        a: "['x', 'y''z']",
        n: "present",
        dec: "12.34",
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.rows?.[0]).toMatchObject({
      i: -42,
      f: 1.5,
      d: "2026-02-01",
      b: true,
      id: "123e4567-e89b-12d3-a456-426614174000",
      a: ["x", "y'z"],
      n: "present",
    });
    expect(String(answer.body.rows?.[0]?.u)).toBe("9007199254740991");
  });

  it("takes function names in any case ClickHouse does", async () => {
    const answer = await sql("SELECT COUNT() AS n, Sum(conversion_value) AS v, lower('A') AS l FROM analytics_events");
    expect(answer.status).toBe(200);
    expect(answer.body.rows).toEqual([{ n: 30, v: 60, l: "a" }]);
  });

  it("takes an allowed aggregate named in a string", async () => {
    const answer = await sql("SELECT arrayReduce('sum', [1, 2, 3]) AS s, arrayReduce('uniqExact', [1, 1, 2]) AS u");
    expect(answer.body.rows).toEqual([{ s: 6, u: 2 }]);
  });

  it("takes WITH RECURSIVE, bounded by the engine", async () => {
    const answer = await sql(
      "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) AS total FROM r",
    );
    expect(answer.status).toBe(200);
    expect(answer.body.rows).toEqual([{ total: 15 }]);
  });

  it("takes FINAL on tenant tables, scoped all the same", async () => {
    const raw = await sql("SELECT count() AS n FROM analytics_events FINAL");
    expect(raw.body.rows).toEqual([{ n: 30 }]);
    const rollup = await sql(
      "SELECT organization_id, sum(events) AS e FROM events_daily AS d FINAL GROUP BY organization_id",
    );
    expect(rollup.status).toBe(200);
    expect(rollup.body.rows).toEqual([{ organization_id: "acme", e: 30 }]);
  });

  it("takes CTEs of its own, in both forms, and expression aliases", async () => {
    const answer = await sql(
      "WITH 2 AS k, totals (n) AS (SELECT count() FROM analytics_events), per AS (SELECT source, count() AS c FROM analytics_events GROUP BY source) SELECT (SELECT n FROM totals) * k AS doubled, (SELECT sum(c) FROM per) AS summed",
    );
    expect(answer.status).toBe(200);
    expect(answer.body.rows).toEqual([{ doubled: 60, summed: 30 }]);
  });

  it("does not report rows read (the engine counts granules shared with other organizations)", async () => {
    const answer = await sql("SELECT count() AS n FROM analytics_events");
    expect(answer.body.meta?.rows_read ?? "0").toBe("0");
    expect(answer.body.meta?.bytes_read ?? "0").toBe("0");
  });
});

describe("limits that hold", () => {
  it("refuses an array too large for one block before it is built", async () => {
    const before = process.memoryUsage.rss();
    const answer = await sql("SELECT count() FROM (SELECT arrayJoin(range(500000000)) AS x)");
    expectRefused(answer, /at most 10000000 elements/);
    // The statement never allocated its 500M-element array (it took the process from 0.7 to 5.8 GB).
    expect(process.memoryUsage.rss() - before).toBeLessThan(1024 * 1024 * 1024);
  });

  it("refuses an answer larger than the result limit, without building it as one string", async () => {
    const answer = await sql("SELECT repeat(repeat('a', 1000000), 300) AS s");
    expectRefused(answer, /larger than 32 MiB|more than 1 GiB of memory/);
    const wide = await sql("SELECT repeat('a', 100000) AS s FROM analytics_events ARRAY JOIN range(40) AS k");
    expectRefused(wide, /larger than 32 MiB/);
  });

  it("refuses a statement that needs more memory than its share", async () => {
    const answer = await sql(
      "SELECT length(groupArray(repeat('x', 500))) AS n FROM (SELECT arrayJoin(range(5000000)) AS k)",
    );
    expectRefused(answer, /more than 1 GiB of memory/);
  });
});

describe("the caller's deadline", () => {
  it("answers DEADLINE_EXCEEDED when the caller's deadline passes first", async () => {
    const response = await fetch(`${warehouse.url}/trellis.warehouse.v1.AnalyticsService/RunSql`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${warehouse.keys.acme}`,
        "content-type": "application/json",
        "connect-protocol-version": "1",
        "connect-timeout-ms": "300",
      },
      body: JSON.stringify({
        sql: "SELECT count() FROM (SELECT arrayJoin(range(5000000)) AS a) AS x, (SELECT arrayJoin(range(5000)) AS b) AS y",
      }),
    });
    const body = (await response.json()) as { code?: string };
    expect(body.code).toBe("deadline_exceeded");
  });
});

describe("one organization's failing statements never disturb another's", () => {
  it("answers every call of A exactly (SQL, report, export, ingest, each authenticated anew) while B fails statements after emitting rows, on two connections", async () => {
    let stop = false;
    const attacker = async () => {
      while (!stop) {
        await sql(
          "SELECT event_id, intDiv(1, if(event_id = 'globex-74', 0, 1)) AS y FROM analytics_events",
          {},
          warehouse.keys.globex,
        );
      }
    };
    const attackers = [attacker(), attacker()];
    const failures: string[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        // A new key each round: its first call authenticates through the warden's key lookup.
        const key = await warehouse.createKey("acme", []);
        const own = await sql("SELECT 2 AS victim", {}, key);
        if (own.status !== 200 || JSON.stringify(own.body.rows) !== '[{"victim":2}]') failures.push(`sql ${own.text}`);
        const report = await fetch(`${warehouse.url}/api/v1/analytics/query`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${key}`,
            "content-type": "application/json",
            "cache-control": "no-store",
          },
          body: JSON.stringify({
            dimensions: ["source"],
            metrics: ["clicks"],
            time_range: { start: "2026-02-01", end: "2026-02-03" },
          }),
        });
        const text = await report.text();
        if (report.status !== 200 || text.includes("globex"))
          failures.push(`report ${report.status} ${text.slice(0, 200)}`);
        const exported = await fetch(`${warehouse.url}/api/v1/analytics/query/export?format=ndjson`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({
            dimensions: ["source"],
            metrics: ["clicks"],
            time_range: { start: "2026-02-01", end: "2026-02-03" },
          }),
        });
        const lines = await exported.text();
        if (exported.status !== 200 || lines.includes("globex") || !lines.includes("google"))
          failures.push(`export ${exported.status} ${lines.slice(0, 200)}`);
        const ingested = await fetch(`${warehouse.url}/api/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({
            batch_id: `attack-${i}`,
            events: [
              {
                event_id: `attack-${i}`,
                type: "EVENT_TYPE_PAGEVIEW",
                time: new Date().toISOString(),
                url: "https://acme.example/",
                visitor_id: "v-attack",
                session_id: "s-attack",
              },
            ],
          }),
        });
        const receipt = await ingested.text();
        if (ingested.status !== 200 || !receipt.includes(`attack-${i}`))
          failures.push(`ingest ${ingested.status} ${receipt.slice(0, 200)}`);
      }
    } finally {
      stop = true;
      await Promise.all(attackers);
    }
    expect(failures).toEqual([]);
  });
});

// Random statements built from the shapes attackers use: whatever the mix, the answer is a
// refusal or the caller's own rows, and never anything of another organization's.
const tableReference = fc.constantFrom(
  "analytics_events",
  "events_daily",
  "events_hourly",
  "events_daily_totals",
  "api_keys",
  "organizations",
  "campaign_rulesets",
  "default.analytics_events",
  "`default`.`api_keys`",
  "system.one",
  "system.tables",
  "INFORMATION_SCHEMA.TABLES",
  "x",
  "`x\n Literal 1`",
  "numbers(10)",
  "file('/etc/passwd')",
  "merge('default', '.*')",
  "(SELECT * FROM default.analytics_events)",
  "(SELECT * FROM analytics_events)",
);
const expression = fc.constantFrom(
  "*",
  "count()",
  "COUNT()",
  "source",
  "organization_id",
  "', organizations AS ('",
  "'x'' AS y FROM api_keys --'",
  "arrayReduce('groupConcat', [source])",
  "arrayReduce('sum', [1])",
  "currentDatabase()",
  "getSetting('readonly')",
  "(SELECT count() FROM default.analytics_events)",
  "(SELECT count() FROM api_keys)",
  "1 AS `a\nb`",
  "CAST(1, 'AggregateFunction(groupConcat, String)')",
  "_CAST(1, 'Int32')",
  "dictGet('d', 'x', 1)",
);
const withClause = fc.constantFrom(
  "",
  "WITH x AS (SELECT * FROM analytics_events) ",
  "WITH x AS (SELECT * FROM api_keys) ",
  "WITH api_keys AS (SELECT * FROM api_keys) ",
  "WITH analytics_events AS (SELECT * FROM default.analytics_events) ",
  "WITH x (a) AS (SELECT 1) ",
  "WITH 1 AS x ",
  "WITH RECURSIVE x AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM x WHERE n < 3) ",
);
const tail = fc.constantFrom(
  "",
  " FINAL",
  " SETTINGS readonly = 0",
  " FORMAT CSV",
  " UNION ALL SELECT * FROM default.analytics_events",
  " WHERE organization_id = 'globex'",
  " WHERE organization_id IN default.analytics_events",
  "; SELECT * FROM api_keys",
  " -- ; SELECT 1",
);

describe("fuzzed statements against both layers", () => {
  it("never answer anything but the caller's own rows", async () => {
    await fc.assert(
      fc.asyncProperty(withClause, expression, tableReference, tail, async (w, e, t, rest) => {
        const answer = await sql(`${w}SELECT ${e} FROM ${t}${rest}`);
        expect([200, 400]).toContain(answer.status);
        if (answer.status === 400) expect(answer.body.error?.violations?.[0]?.field).toBe("sql");
        expectNothingForeign(answer, `${w}SELECT ${e} FROM ${t}${rest}`);
      }),
      { numRuns: 150 },
    );
  });
});
