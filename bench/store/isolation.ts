// What one engine session per statement costs, paired in one run: the same statements through
// @clickhouse/client over chDB's stock connection (one session for every statement, chDB's
// own parameter binding) and over the store's per-statement connection, alternating call by
// call on the same data directory. Reports latency percentiles of a one-organization
// analytics statement (sequential), and the throughput of the same statement from 8
// concurrent callers, where the stock path serializes every parameterized statement.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import { createStatementConnection } from "../../packages/store/src/chdb-statement-connection.js";
import { percentile, progress, report } from "../lib/report.js";

const CALLS = Number(process.env.BENCH_ISOLATION_CALLS ?? 400);
const ROWS = Number(process.env.BENCH_ISOLATION_ROWS ?? 2_000_000);
const CONCURRENCY = 8;

type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;
const dataDir = mkdtempSync(join(tmpdir(), "trellis-bench-isolation-"));
const stock = createClient({ connection: createChdbConnection({ path: dataDir }) as unknown as Connection });
const perStatement = createClient({
  connection: createStatementConnection({ path: dataDir, requestTimeoutMs: 60_000 }) as unknown as Connection,
});

const statement = `SELECT event_date, count() AS events, uniqExact(visitor) AS visitors
FROM bench_isolation.events
WHERE organization_id = {organization_id:String} AND event_date BETWEEN {start:Date} AND {end:Date}
GROUP BY event_date ORDER BY event_date`;

async function once(client: ClickHouseClient, organization: number): Promise<number> {
  const started = performance.now();
  const result = await client.query({
    query: statement,
    query_params: { organization_id: `org_${organization}`, start: "2026-01-01", end: "2026-01-31" },
    format: "JSONEachRow",
  });
  await result.json();
  return performance.now() - started;
}

async function throughput(client: ClickHouseClient, calls: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) await once(client, next++ % 100);
    }),
  );
  return (calls / (performance.now() - started)) * 1000;
}

try {
  progress(`filling ${ROWS.toLocaleString()} rows of 100 organizations…`);
  await perStatement.command({ query: "CREATE DATABASE IF NOT EXISTS bench_isolation" });
  await perStatement.command({
    query: `CREATE TABLE bench_isolation.events (organization_id String, event_date Date, visitor UInt64)
      ENGINE = MergeTree ORDER BY (organization_id, event_date)`,
  });
  await perStatement.command({
    query: `INSERT INTO bench_isolation.events SELECT concat('org_', toString(number % 100)),
      toDate('2026-01-01') + intDiv(number, 100) % 90, cityHash64(number) % 5000 FROM numbers(${ROWS})`,
  });

  progress(`${CALLS} sequential calls each way, alternating…`);
  const latency = { stock: [] as number[], perStatement: [] as number[] };
  for (let i = 0; i < 20; i++) {
    await once(stock, i);
    await once(perStatement, i);
  }
  for (let i = 0; i < CALLS; i++) {
    latency.stock.push(await once(stock, i % 100));
    latency.perStatement.push(await once(perStatement, i % 100));
  }
  progress(`${CALLS} calls from ${CONCURRENCY} concurrent callers each way…`);
  const stockRate = await throughput(stock, CALLS);
  const perStatementRate = await throughput(perStatement, CALLS);
  const stockRate2 = await throughput(stock, CALLS);
  const perStatementRate2 = await throughput(perStatement, CALLS);

  const row = (name: string, values: number[], rate: number) => ({
    connection: name,
    "p50 ms": percentile(values, 50),
    "p90 ms": percentile(values, 90),
    "p99 ms": percentile(values, 99),
    [`calls/s at ${CONCURRENCY}`]: rate,
  });
  report(
    "store-isolation",
    [
      row("one shared session (stock)", latency.stock, (stockRate + stockRate2) / 2),
      row("a session per statement", latency.perStatement, (perStatementRate + perStatementRate2) / 2),
      {
        connection: "ratio (per statement / stock)",
        "p50 ms": percentile(latency.perStatement, 50) / percentile(latency.stock, 50),
        "p90 ms": percentile(latency.perStatement, 90) / percentile(latency.stock, 90),
        "p99 ms": percentile(latency.perStatement, 99) / percentile(latency.stock, 99),
        [`calls/s at ${CONCURRENCY}`]: (perStatementRate + perStatementRate2) / (stockRate + stockRate2),
      },
    ],
    { calls: CALLS, rows: ROWS, concurrency: CONCURRENCY, statement },
  );
} finally {
  await stock.close();
  await perStatement.close();
  rmSync(dataDir, { recursive: true, force: true });
}
