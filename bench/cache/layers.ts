// Where the time of a cached answer goes, layer by layer, on one core: CPU time per call of
// the cache handler alone, of the cache service behind its in-process Connect transport, of
// the query service answering from the cache through its transport, and of the protobuf and
// JSON work on the answer. Prints one JSON object; run.ts puts it beside the HTTP figures.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { createClient, createContextValues, type HandlerContext } from "@connectrpc/connect";
import {
  AnalyticsAnswerSchema,
  AnalyticsQuerySchema,
  CacheService,
  DateRangeSchema,
  ExecuteResponseSchema,
  GetTrafficRequestSchema,
  GetTrafficResponseSchema,
  Granularity,
  OrgContextSchema,
  QueryService,
  Scope,
} from "@trellis/contracts";
import {
  createContextSigner,
  createLogger,
  inProcessPeer,
  kOrgContext,
  ORG_CONTEXT_HEADER,
  runWithOrgContext,
} from "@trellis/platform";
import { createQueryApp } from "@trellis/query";
import { createStore, loadStoreConfig, toDateTime64 } from "@trellis/store";
import { createL1 } from "../../services/cache/src/adapters/l1.js";
import { createVersionRegistry } from "../../services/cache/src/adapters/version-registry.js";
import { createCacheApp } from "../../services/cache/src/app.js";
import { createRecomputeTracker } from "../../services/cache/src/domain/recompute.js";
import { createCacheService } from "../../services/cache/src/handlers/cache-service.js";
import { createCacheMetrics } from "../../services/cache/src/metrics.js";

const CALLS = Number(process.env.BENCH_LAYER_CALLS ?? 5_000);
const DAYS = Number(process.env.BENCH_LAYER_DAYS ?? 50);
const secret = "bench-layers-secret".padEnd(40, "x");
const logger = createLogger({ service: "bench", level: "silent" });
const organization = create(OrgContextSchema, {
  organizationId: "demo",
  principal: "bench",
  scopes: [Scope.ANALYTICS_READ],
});

/** Microseconds of CPU per call of `fn`, run `calls` times one after the other. */
async function perCall(calls: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, calls); i++) await fn();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const dataDir = mkdtempSync(join(tmpdir(), "trellis-bench-layers-"));
const storeConfig = loadStoreConfig({ TRELLIS_DATA_DIR: dataDir, TRELLIS_CLICKHOUSE_DATABASE: "bench_layers" });
const store = createStore(storeConfig, { logger });
try {
  await store.migrate();
  const end = Date.now() - 10 * 86_400_000;
  const rows = Array.from({ length: DAYS * 40 }, (_, i) => {
    const time = new Date(end - (i % DAYS) * 86_400_000 - (i % 24) * 3_600_000);
    return {
      organization_id: "demo",
      event_date: time.toISOString().slice(0, 10),
      event_time: toDateTime64(time),
      event_id: `e${i}`,
      event_type: i % 3 === 0 ? "pageview" : "click",
      ingested_at: toDateTime64(time),
      retention_days: 3650,
      visitor_id: `v${i % 50}`,
      session_id: `s${i % 200}`,
      source: ["google", "newsletter", "direct", "bing"][i % 4] ?? "",
    };
  });
  await store.insert("analytics_events", rows, { organizationId: null });

  const config = {
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    shutdownGraceMs: 1_000,
    contextSecret: secret,
  };
  const cacheApp = await createCacheApp(
    { ...config, l1MaxBytes: 64 * 1024 * 1024, maxValueBytes: 8 * 1024 * 1024 },
    logger,
  );
  const queryApp = await createQueryApp({ ...config, store: storeConfig }, logger, {
    store,
    cache: inProcessPeer(cacheApp, logger, { caller: "query" }),
  });
  const signer = createContextSigner({ secret });
  const token = await signer.mint(organization);
  const headers = { [ORG_CONTEXT_HEADER]: token };
  const query = create(AnalyticsQuerySchema, {
    kind: {
      case: "traffic",
      value: create(GetTrafficRequestSchema, {
        range: create(DateRangeSchema, {
          startDate: new Date(end - DAYS * 86_400_000).toISOString().slice(0, 10),
          endDate: new Date(end).toISOString().slice(0, 10),
        }),
        groupBy: Granularity.DAY,
      }),
    },
  });
  const queryClient = createClient(QueryService, inProcessPeer(queryApp, logger, { caller: "gateway" }));
  const answer = await runWithOrgContext({ context: organization, token }, () =>
    queryClient.execute({ query }, { headers }),
  );
  if (!answer.answer) throw new Error("no answer");
  const answerBytes = toBinary(AnalyticsAnswerSchema, answer.answer);

  // The cache handler alone, with a key already in L1.
  const handler = createCacheService({
    l1: createL1(64 * 1024 * 1024),
    versions: createVersionRegistry({ maxAgeMs: 500 }),
    recompute: createRecomputeTracker(),
    metrics: createCacheMetrics(),
    logger,
    keyPrefix: "trellis:cache",
    maxValueBytes: 8 * 1024 * 1024,
    staleMaxSeconds: 60,
    earlyRecomputeBeta: 1,
  });
  const ctx = { values: createContextValues().set(kOrgContext, organization) } as unknown as HandlerContext;
  const miss = await handler.get({ $typeName: "trellis.warehouse.v1.GetRequest", key: "q1:bench" }, ctx);
  await handler.set(
    {
      $typeName: "trellis.warehouse.v1.SetRequest",
      key: "q1:bench",
      value: answerBytes,
      freshness: 6,
      ttlSeconds: 0,
      dataVersion: miss.dataVersion ?? 0n,
      rulesetVersion: miss.rulesetVersion ?? 0n,
    },
    ctx,
  );
  const cacheClient = createClient(CacheService, inProcessPeer(cacheApp, logger, { caller: "query" }));
  const got = await cacheClient.get({ key: "q1:bench" }, { headers });
  await cacheClient.set(
    {
      key: "q1:bench",
      value: answerBytes,
      freshness: 6,
      dataVersion: got.dataVersion,
      rulesetVersion: got.rulesetVersion,
    },
    { headers },
  );
  const traffic = answer.answer.kind.case === "traffic" ? answer.answer.kind.value : undefined;
  const execute = create(ExecuteResponseSchema, { answer: answer.answer });
  const executeBytes = toBinary(ExecuteResponseSchema, execute);

  const result = {
    answerProtobufBytes: answerBytes.byteLength,
    answerJsonBytes: traffic ? JSON.stringify(toJson(GetTrafficResponseSchema, traffic)).length : 0,
    cacheHandlerGetUs: await perCall(CALLS * 4, () =>
      handler.get({ $typeName: "trellis.warehouse.v1.GetRequest", key: "q1:bench" }, ctx),
    ),
    cacheRpcGetUs: await perCall(CALLS, () => cacheClient.get({ key: "q1:bench" }, { headers })),
    contextTokenVerifyUs: await perCall(CALLS, () => signer.verify(token)),
    queryRpcExecuteCachedUs: await perCall(CALLS, () =>
      runWithOrgContext({ context: organization, token }, () => queryClient.execute({ query }, { headers })),
    ),
    answerFromBinaryUs: await perCall(CALLS, () => fromBinary(AnalyticsAnswerSchema, answerBytes)),
    executeResponseRoundTripUs: await perCall(CALLS, () =>
      fromBinary(ExecuteResponseSchema, toBinary(ExecuteResponseSchema, execute)),
    ),
    answerToJsonUs: traffic ? await perCall(CALLS, () => JSON.stringify(toJson(GetTrafficResponseSchema, traffic))) : 0,
    executeResponseBytes: executeBytes.byteLength,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await queryApp.close();
  await cacheApp.close();
} finally {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
