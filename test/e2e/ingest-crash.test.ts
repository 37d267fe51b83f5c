import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EventSchema, EventType, IngestService, OrgContextSchema, Scope } from "@trellis/contracts";
import { createContextSigner, createLogger, ORG_CONTEXT_HEADER } from "@trellis/platform";
import { createStore, rollups } from "@trellis/store";
import { afterAll, expect, it } from "vitest";
import { tempDir, testDatabase } from "../helpers/names.js";
import { type ServiceProcess, startService } from "../helpers/processes.js";

const SECRET = "crash-test-context-secret-0123456789abcdef";
const dataDir = tempDir("crash");
const database = testDatabase("crash");
const BATCHES = 600;
const EVENTS_PER_BATCH = 100;
const KILLS = 5;
const env = {
  TRELLIS_CONTEXT_SECRET: SECRET,
  TRELLIS_IP_HASH_KEY: "crash-test-ip-hash-key-0123456789abcdef",
  TRELLIS_DATA_DIR: dataDir,
  TRELLIS_CLICKHOUSE_DATABASE: database,
  TRELLIS_INGEST_FLUSH_MS: "30",
  TRELLIS_INGEST_BATCH_ROWS: "2000",
};

let ingest: ServiceProcess | undefined;

afterAll(async () => {
  if (ingest && ingest.child.exitCode === null) await ingest.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("stores every acknowledged event exactly once, and rollups that answer what the events answer, when ingest is killed mid-load and clients retry", async () => {
  ingest = await startService("ingest", env);
  let baseUrl = ingest.url;
  // A context token lives a minute, as the gateway's do: each attempt carries a fresh one.
  const signer = createContextSigner({ secret: SECRET });
  const context = create(OrgContextSchema, {
    organizationId: "crashco",
    principal: "test",
    scopes: [Scope.EVENTS_WRITE],
    retentionDays: 30,
  });
  // Events over three days and several hours, of three kinds, so every rollup has several rows.
  const now = Date.now() - 60_000;
  const kinds = [EventType.PAGEVIEW, EventType.CLICK, EventType.CONVERSION];
  const batch = (b: number) =>
    Array.from({ length: EVENTS_PER_BATCH }, (_, e) =>
      create(EventSchema, {
        eventId: `b${b}-e${e}`,
        type: kinds[e % 3],
        time: timestampFromDate(new Date(now - (b % 3) * 86_400_000 - (e % 5) * 3_600_000)),
        url: `https://crash.example/p/${e}?utm_source=s${b % 4}`,
        visitorId: `v${(b * 7 + e) % 90}`,
        ...(e % 3 === 2 ? { conversionName: "purchase", value: (e % 7) + 0.25 } : {}),
      }),
    );

  const acknowledged = new Set<number>();
  let attempts = 0;
  let next = 0;
  let kills = 0;
  /** Restarts that found an insert cut off by the kill, and made its days' rollups again. */
  let recoveries = 0;

  /**
   * Waits (at most 5 s) until the writer is inside an insert — its spool file exists from just
   * before the statement until it has finished — so the kill lands between the events table
   * and its rollup views as often as it can.
   */
  async function untilAnInsertRuns() {
    const spool = join(dataDir, "insert-spool");
    const until = Date.now() + 5_000;
    while (Date.now() < until && !readdirSync(spool).some((name) => name.endsWith(".native"))) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async function worker() {
    for (let b = next++; b < BATCHES; b = next++) {
      for (;;) {
        attempts++;
        try {
          const client = createClient(IngestService, createGrpcTransport({ baseUrl }));
          const response = await client.ingestEvents(
            { batchId: `batch-${b}`, events: batch(b) },
            { headers: { [ORG_CONTEXT_HEADER]: await signer.mint(context) }, timeoutMs: 10_000 },
          );
          expect(response.accepted).toBe(EVENTS_PER_BATCH);
          acknowledged.add(b);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      if (kills < KILLS && acknowledged.size >= ((kills + 1) * BATCHES) / (KILLS + 1)) {
        kills++;
        await untilAnInsertRuns();
        ingest?.child.kill("SIGKILL");
        await new Promise((resolve) => ingest?.child.once("exit", resolve));
        ingest = await startService("ingest", env);
        baseUrl = ingest.url;
        if (ingest.output().includes("the rollups of its days were made again")) recoveries++;
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  expect(kills).toBe(KILLS);
  expect(recoveries).toBeGreaterThanOrEqual(1);
  expect(acknowledged.size).toBe(BATCHES);
  expect(attempts).toBeGreaterThan(BATCHES);
  expect(await ingest.stop()).toBe(0);

  const store = createStore(
    { database, dataDir, requestTimeoutMs: 60_000, maxOpenConnections: 1 },
    { logger: createLogger({ service: "test", level: "silent" }) },
  );
  try {
    const { rows } = await store.query<{ total: string; distinct_ids: string; max_copies: string }>({
      name: "test.exactly-once",
      sql: `SELECT count() AS total, uniqExact(event_id) AS distinct_ids, max(c) AS max_copies
            FROM (SELECT event_id, count() AS c FROM ${database}.analytics_events WHERE organization_id = 'crashco' GROUP BY event_id)`,
      organizationId: "crashco",
    });
    expect(Number(rows[0]?.distinct_ids)).toBe(BATCHES * EVENTS_PER_BATCH);
    expect(Number(rows[0]?.max_copies)).toBe(1);

    // Each rollup, read as the query layer reads it, answers what the stored events answer.
    for (const spec of rollups) {
      const keys = [spec.bucketColumn, ...spec.dimensions].join(", ");
      const fromRollup = await store.query<Record<string, unknown>>({
        name: "test.rollup",
        sql: `SELECT ${keys}, sum(events) AS events, uniqExactIfMerge(visitors) AS visitors
              FROM ${database}.${spec.name} WHERE organization_id = 'crashco' GROUP BY ${keys} ORDER BY ${keys}`,
        organizationId: "crashco",
      });
      const fromEvents = await store.query<Record<string, unknown>>({
        name: "test.rollup-truth",
        sql: `SELECT ${spec.bucketExpression} AS ${spec.bucketColumn}, ${spec.dimensions.join(", ")},
                     count() AS events, uniqExactIf(visitor_id, visitor_id != '') AS visitors
              FROM ${database}.analytics_events WHERE organization_id = 'crashco' GROUP BY ${keys} ORDER BY ${keys}`,
        organizationId: "crashco",
      });
      expect(fromRollup.rows.length, spec.name).toBeGreaterThanOrEqual(3);
      expect(fromRollup.rows, spec.name).toEqual(fromEvents.rows);
    }
  } finally {
    await store.close();
  }
}, 400_000);

it("finishes in-flight batches on SIGTERM before exiting", async () => {
  const draining = await startService("ingest", {
    ...env,
    TRELLIS_INGEST_FLUSH_MS: "1500",
    TRELLIS_INGEST_BATCH_ROWS: "100000",
  });
  const token = await createContextSigner({ secret: SECRET }).mint(
    create(OrgContextSchema, {
      organizationId: "drainco",
      principal: "test",
      scopes: [Scope.EVENTS_WRITE],
      retentionDays: 30,
    }),
  );
  const client = createClient(IngestService, createGrpcTransport({ baseUrl: draining.url }));
  const events = Array.from({ length: 20 }, (_, e) =>
    create(EventSchema, {
      eventId: `drain-${e}`,
      type: EventType.PAGEVIEW,
      time: timestampFromDate(new Date(Date.now() - 1000)),
      url: "https://drain.example/",
    }),
  );
  const inFlight = client.ingestEvents(
    { batchId: "drain-batch", events },
    { headers: { [ORG_CONTEXT_HEADER]: token } },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const exited = draining.stop();
  expect((await inFlight).accepted).toBe(20);
  expect(await exited).toBe(0);

  const store = createStore(
    { database, dataDir, requestTimeoutMs: 60_000, maxOpenConnections: 1 },
    { logger: createLogger({ service: "test", level: "silent" }) },
  );
  try {
    const { rows } = await store.query<{ n: string }>({
      name: "test.drained",
      sql: `SELECT count() AS n FROM ${database}.analytics_events WHERE organization_id = 'drainco'`,
      organizationId: "drainco",
    });
    expect(Number(rows[0]?.n)).toBe(20);
  } finally {
    await store.close();
  }
}, 60_000);
