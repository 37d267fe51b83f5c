import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import {
  AnalyticsQuerySchema,
  type AnswerSource,
  DateRangeSchema,
  GetTrafficRequestSchema,
  Granularity,
  QueryService,
} from "@trellis/contracts";
import { inProcessPeer, type ServiceApp } from "@trellis/platform";
import { createQueryApp } from "@trellis/query";
import { createStore, loadStoreConfig, type Store, toDateTime64 } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  asOrganization,
  type CacheHarness,
  CONTEXT_SECRET,
  redisConfig,
  silentLogger,
  startCache,
} from "../../services/cache/test/helpers/cache-harness.js";
import { type RedisServer, startRedisServer } from "../../services/cache/test/helpers/redis-servers.js";

const CONCURRENT = 1_000;
let dataDir: string;
let store: Store;
let server: RedisServer;
const closers: Array<() => Promise<void>> = [];

/** The store as the query service sees it, counting the analytics queries that reach it (not ruleset reads). */
function countingStore(inner: Store): { store: Store; queries: () => number } {
  let count = 0;
  const counted = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "query") {
        return (statement: Parameters<Store["query"]>[0]) => {
          if (!statement.name.startsWith("campaign ruleset")) count++;
          return target.query(statement);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return { store: counted, queries: () => count };
}

/** One query "process": a query app on its own counting store view and its own cache instance. */
async function queryProcess(cache: CacheHarness) {
  const counted = countingStore(store);
  const app: ServiceApp = await createQueryApp(
    {
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
      shutdownGraceMs: 1_000,
      contextSecret: CONTEXT_SECRET,
      store: loadStoreConfig({ TRELLIS_DATA_DIR: dataDir }),
    },
    silentLogger,
    { store: counted.store, cache: inProcessPeer(cache.app, silentLogger, { caller: "query" }) },
  );
  closers.push(() => app.close());
  const client = createClient(QueryService, inProcessPeer(app, silentLogger, { caller: "test" }));
  return { client, queries: counted.queries };
}

function trafficQuery(startDate: string, endDate: string) {
  return create(AnalyticsQuerySchema, {
    kind: {
      case: "traffic",
      value: create(GetTrafficRequestSchema, {
        range: create(DateRangeSchema, { startDate, endDate }),
        groupBy: Granularity.DAY,
      }),
    },
  });
}

async function ask(
  process: Awaited<ReturnType<typeof queryProcess>>,
  query: ReturnType<typeof trafficQuery>,
  times: number,
) {
  const options = await asOrganization("acme");
  const answers = await Promise.all(Array.from({ length: times }, () => process.client.execute({ query }, options)));
  return answers.map((a) => {
    if (a.answer?.kind.case !== "traffic") throw new Error("not a traffic answer");
    return a.answer.kind.value;
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "trellis-cache-coalesce-"));
  store = createStore(
    loadStoreConfig({
      TRELLIS_DATA_DIR: dataDir,
      TRELLIS_CLICKHOUSE_DATABASE: `test_cache_${randomBytes(4).toString("hex")}`,
    }),
    { logger: silentLogger },
  );
  await store.migrate();
  const rows = Array.from({ length: 200 }, (_, i) => {
    const time = new Date(Date.UTC(2026, 2, 1 + (i % 20), 10, i % 60));
    return {
      organization_id: "acme",
      event_date: time.toISOString().slice(0, 10),
      event_time: toDateTime64(time),
      event_id: `acme-${i}`,
      event_type: i % 4 === 0 ? "pageview" : "click",
      ingested_at: toDateTime64(time),
      retention_days: 3650,
      visitor_id: `v${i % 9}`,
      session_id: `s${i % 30}`,
    };
  });
  await store.insert("analytics_events", rows, { organizationId: null });
  server = await startRedisServer();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await store?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const sources = (answers: Array<{ meta?: { source: AnswerSource } }>) => new Set(answers.map((a) => a.meta?.source));

describe("identical concurrent questions through the query service", () => {
  it("reach the store once per process; the next process answers from L2", async () => {
    const config = redisConfig({ url: server.url });
    const cacheA = await startCache({ redis: config });
    const cacheB = await startCache({ redis: config });
    closers.push(cacheA.close, cacheB.close);
    const first = await queryProcess(cacheA);
    const query = trafficQuery("2026-03-01", "2026-03-31");

    const cold = await ask(first, query, CONCURRENT);
    expect(first.queries()).toBe(1);
    expect(cold.every((a) => a.totals?.events === 200n)).toBe(true);

    const warm = await ask(first, query, CONCURRENT);
    expect(first.queries()).toBe(1);
    expect(sources(warm)).toEqual(new Set([1])); // ANSWER_SOURCE_CACHE_L1

    const second = await queryProcess(cacheB);
    const fromL2 = await ask(second, query, CONCURRENT);
    expect(second.queries()).toBe(0);
    expect(sources(fromL2)).toEqual(new Set([2])); // ANSWER_SOURCE_CACHE_L2
    expect(fromL2[0]?.totals?.events).toBe(200n);
  });

  it("reach the store at most once per process when two processes are cold together", async () => {
    const config = redisConfig({ url: server.url });
    const cacheA = await startCache({ redis: config });
    const cacheB = await startCache({ redis: config });
    closers.push(cacheA.close, cacheB.close);
    const [one, two] = [await queryProcess(cacheA), await queryProcess(cacheB)];
    const query = trafficQuery("2026-03-02", "2026-03-09");
    await Promise.all([ask(one, query, CONCURRENT / 2), ask(two, query, CONCURRENT / 2)]);
    expect(one.queries()).toBeLessThanOrEqual(1);
    expect(two.queries()).toBeLessThanOrEqual(1);
    expect(one.queries() + two.queries()).toBeGreaterThanOrEqual(1);
  });
});
