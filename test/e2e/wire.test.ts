import { rmSync } from "node:fs";
import { join } from "node:path";
import { create, fromJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {
  AnalyticsService,
  EventSchema,
  GetTrafficRequestSchema,
  Granularity,
  IngestService,
  QueryService,
} from "@trellis/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../helpers/names.js";
import { exitCode, repoRoot, runNode, type ServiceProcess, startService } from "../helpers/processes.js";

const SECRET = "wire-test-context-secret-0123456789abcdef";
const database = testDatabase("wire");
const dirs = {
  warden: tempDir("warden"),
  query: tempDir("query"),
  ingest: tempDir("ingest"),
  discovery: tempDir("discovery"),
};
const services: Record<string, ServiceProcess> = {};
let acmeKey = "";
let privacyKey = "";
let eventsKey = "";

async function cli(args: string[], dataDir: string): Promise<string> {
  const { child, output } = runNode(["./apps/trellis/src/main.ts", ...args], {
    TRELLIS_DATA_DIR: dataDir,
    TRELLIS_CLICKHOUSE_DATABASE: database,
  });
  const code = await exitCode(child);
  if (code !== 0) throw new Error(`trellis ${args.join(" ")} exited ${code}: ${output()}`);
  return output();
}

beforeAll(async () => {
  // Each process has its own embedded engine (one data directory per process): Warden's
  // holds organizations and keys, the query service's holds the events.
  await cli(["orgs", "create", "--id", "acme", "--name", "Acme"], dirs.warden);
  await cli(["orgs", "create", "--id", "globex", "--name", "Globex"], dirs.warden);
  const created = await cli(["keys", "create", "--org", "acme", "--scope", "analytics:read"], dirs.warden);
  acmeKey = (JSON.parse(created.slice(created.indexOf("{"), created.lastIndexOf("}") + 1)) as { api_key: string })
    .api_key;
  const privacy = await cli(["keys", "create", "--org", "acme", "--scope", "privacy:manage"], dirs.warden);
  privacyKey = (JSON.parse(privacy.slice(privacy.indexOf("{"), privacy.lastIndexOf("}") + 1)) as { api_key: string })
    .api_key;
  const events = await cli(["keys", "create", "--org", "acme", "--scope", "events:write"], dirs.warden);
  eventsKey = (JSON.parse(events.slice(events.indexOf("{"), events.lastIndexOf("}") + 1)) as { api_key: string })
    .api_key;
  const seeded = runNode(["./test/helpers/seed-events.ts", dirs.query, database, "acme:12", "globex:30"], {});
  expect(await exitCode(seeded.child), seeded.output()).toBe(0);

  const common = { TRELLIS_CONTEXT_SECRET: SECRET, TRELLIS_CLICKHOUSE_DATABASE: database };
  const started = (name: string) => (service: ServiceProcess) => {
    services[name] = service;
    return service;
  };
  const [warden, cache, ingest] = await Promise.all([
    startService("warden", { ...common, TRELLIS_DATA_DIR: dirs.warden }).then(started("warden")),
    startService("cache", common).then(started("cache")),
    startService("ingest", {
      ...common,
      TRELLIS_DATA_DIR: dirs.ingest,
      TRELLIS_IP_HASH_KEY: "wire-test-ip-hash-key-0123456789abcdef",
    }).then(started("ingest")),
  ]);
  services.query = await startService("query", {
    ...common,
    TRELLIS_DATA_DIR: dirs.query,
    TRELLIS_CACHE_URL: cache?.url ?? "",
  });
  // Discovery reads campaigns from the query service.
  const discovery = await startService("discovery", {
    ...common,
    TRELLIS_DATA_DIR: dirs.discovery,
    TRELLIS_QUERY_URL: services.query.url,
  }).then(started("discovery"));
  services.gateway = await startService("gateway", {
    TRELLIS_CONTEXT_SECRET: SECRET,
    TRELLIS_WARDEN_URL: warden?.url ?? "",
    TRELLIS_QUERY_URL: services.query.url,
    TRELLIS_INGEST_URL: ingest?.url ?? "",
    TRELLIS_DISCOVERY_URL: discovery?.url ?? "",
    TRELLIS_REQUEST_MAX_BYTES: String(GATEWAY_MAX_BYTES),
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => (s.child.exitCode === null ? s.stop() : undefined)));
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
});

const ACME_EVENTS = 36;
const GATEWAY_MAX_BYTES = 64 * 1024;

/** The clients grpc-js builds from the descriptors at run time, typed as far as the test uses them. */
type DynamicClient = grpc.Client & {
  GetTraffic: (...args: unknown[]) => void;
  Check: (...args: unknown[]) => void;
  DetectFraud: (...args: unknown[]) => void;
  ListDiscoveryRuns: (...args: unknown[]) => void;
};
type DynamicClientConstructor = new (address: string, credentials: grpc.ChannelCredentials) => DynamicClient;
interface LoadedProtos {
  trellis: {
    warehouse: { v1: { AnalyticsService: DynamicClientConstructor; DiscoveryService: DynamicClientConstructor } };
  };
  grpc: { health: { v1: { Health: DynamicClientConstructor } } };
}

describe("six services as separate processes over loopback HTTP/2", () => {
  it("answer traffic over REST", async () => {
    const response = await fetch(
      `${services.gateway?.url}/api/v1/analytics/traffic?start_date=2026-04-01&end_date=2026-04-30&group_by=day`,
      { headers: { authorization: `Bearer ${acmeKey}` } },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { points: Array<{ bucket: string }>; totals: { events: string } };
    expect(body.points.map((p) => p.bucket)).toEqual(["2026-04-01", "2026-04-02", "2026-04-03"]);
    expect(Number(body.totals.events)).toBe(ACME_EVENTS);
  });

  it("answer traffic over Connect, gRPC and gRPC-Web clients", async () => {
    const request = create(GetTrafficRequestSchema, {
      range: { startDate: "2026-04-01", endDate: "2026-04-30" },
      groupBy: Granularity.WEEK,
    });
    const headers = { authorization: `Bearer ${acmeKey}` };
    const baseUrl = services.gateway?.url ?? "";
    for (const transport of [
      createConnectTransport({ baseUrl, httpVersion: "1.1" }),
      createConnectTransport({ baseUrl, httpVersion: "2" }),
      createGrpcTransport({ baseUrl }),
      createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    ]) {
      const response = await createClient(AnalyticsService, transport).getTraffic(request, { headers });
      expect(response.totals?.events).toBe(BigInt(ACME_EVENTS));
      expect(response.points.map((p) => p.bucket)).toEqual(["2026-03-30"]);
    }
  });

  it("take events through the gateway into the ingest service and answer the accepted ids, over REST and gRPC", async () => {
    const wireEvent = (id: string) => ({
      event_id: id,
      type: "EVENT_TYPE_PAGEVIEW",
      time: new Date(Date.now() - 60_000).toISOString(),
      url: "https://shop.example/wire",
    });
    const headers = { authorization: `Bearer ${eventsKey}`, "content-type": "application/json" };
    const posted = await fetch(`${services.gateway?.url}/api/v1/events`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        batch_id: "wire-rest",
        events: [wireEvent("wire-r1"), { event_id: "wire-r2" }, wireEvent("wire-r3")],
      }),
    });
    expect(posted.status).toBe(200);
    const answer = (await posted.json()) as { accepted: number; accepted_event_ids: string[]; rejected: unknown[] };
    // The ingest service answers the gateway in binary, its ids encoded in one piece.
    expect(answer.accepted_event_ids).toEqual(["wire-r1", "wire-r3"]);
    expect(answer.rejected).toHaveLength(1);
    const ids = Array.from({ length: 300 }, (_, i) => `wire-g-${i}`);
    const grpcAnswer = await createClient(
      IngestService,
      createGrpcTransport({ baseUrl: services.gateway?.url ?? "" }),
    ).ingestEvents(
      { batchId: "wire-grpc", events: ids.map((id) => fromJson(EventSchema, wireEvent(id))) },
      { headers: { authorization: `Bearer ${eventsKey}` } },
    );
    expect(grpcAnswer.accepted).toBe(300);
    expect(grpcAnswer.acceptedEventIds).toEqual(ids);
  });

  it("answer a plain @grpc/grpc-js client that loads the .proto files", async () => {
    const definition = protoLoader.loadSync(
      ["trellis/warehouse/v1/analytics.proto", "trellis/warehouse/v1/discovery.proto", "grpc/health/v1/health.proto"],
      {
        includeDirs: [join(repoRoot, "proto")],
        keepCase: true,
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      },
    );
    const loaded = grpc.loadPackageDefinition(definition) as unknown as LoadedProtos;
    const address = new URL(services.gateway?.url ?? "").host;
    const analytics = new loaded.trellis.warehouse.v1.AnalyticsService(address, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${acmeKey}`);
    const response = await new Promise<{ points: Array<{ bucket: string }>; totals: { events: string } }>(
      (resolve, reject) =>
        analytics.GetTraffic(
          { range: { start_date: "2026-04-01", end_date: "2026-04-30" }, group_by: "GRANULARITY_MONTH" },
          metadata,
          (error: Error | null, value: { points: Array<{ bucket: string }>; totals: { events: string } }) =>
            error ? reject(error) : resolve(value),
        ),
    );
    expect(response.totals.events).toBe(String(ACME_EVENTS));
    expect(response.points.map((p) => p.bucket)).toEqual(["2026-04-01"]);

    const denied = await new Promise<grpc.ServiceError>((resolve) =>
      analytics.GetTraffic(
        { range: { start_date: "2026-04-01", end_date: "2026-04-30" } },
        (error: grpc.ServiceError) => resolve(error),
      ),
    );
    expect(denied.code).toBe(grpc.status.UNAUTHENTICATED);
    analytics.close();

    // Discovery through the gateway, which proxies it to the discovery process (its own, empty store here).
    const discovery = new loaded.trellis.warehouse.v1.DiscoveryService(address, grpc.credentials.createInsecure());
    const fraud = await new Promise<{ patterns: unknown[]; run_id: string }>((resolve, reject) =>
      discovery.DetectFraud(
        { range: { start_date: "2026-04-01", end_date: "2026-04-30" } },
        metadata,
        (error: Error | null, value: { patterns: unknown[]; run_id: string }) =>
          error ? reject(error) : resolve(value),
      ),
    );
    expect(fraud.patterns).toEqual([]);
    expect(fraud.run_id).toMatch(/^run_/);
    const runs = await new Promise<{ runs: Array<{ id: string; kind: string }> }>((resolve, reject) =>
      discovery.ListDiscoveryRuns(
        {},
        metadata,
        (error: Error | null, value: { runs: Array<{ id: string; kind: string }> }) =>
          error ? reject(error) : resolve(value),
      ),
    );
    expect(runs.runs.map((r) => [r.id, r.kind])).toEqual([[fraud.run_id, "fraud"]]);
    discovery.close();

    for (const service of Object.values(services)) {
      const health = new loaded.grpc.health.v1.Health(new URL(service.url).host, grpc.credentials.createInsecure());
      const status = await new Promise<{ status: string }>((resolve, reject) =>
        health.Check({ service: "" }, (error: Error | null, value: { status: string }) =>
          error ? reject(error) : resolve(value),
        ),
      );
      expect(status.status, service.name).toBe("SERVING");
      health.close();
    }
  });

  it("forward PrivacyService to the ingest service: a deletion from a plain @grpc/grpc-js client runs to done", async () => {
    const definition = protoLoader.loadSync(["trellis/warehouse/v1/privacy.proto"], {
      includeDirs: [join(repoRoot, "proto")],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
    });
    type Call = (request: object, metadata: grpc.Metadata, done: (error: Error | null, value: unknown) => void) => void;
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      trellis: {
        warehouse: {
          v1: {
            PrivacyService: new (
              address: string,
              credentials: grpc.ChannelCredentials,
            ) => Record<string, Call> & grpc.Client;
          };
        };
      };
    };
    const privacy = new loaded.trellis.warehouse.v1.PrivacyService(
      new URL(services.gateway?.url ?? "").host,
      grpc.credentials.createInsecure(),
    );
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${privacyKey}`);
    const call = (method: string, request: object) =>
      new Promise<{ deletion: { id: string; status: string } }>((resolve, reject) =>
        (privacy[method] as Call).call(privacy, request, metadata, (error, value) =>
          error ? reject(error) : resolve(value as { deletion: { id: string; status: string } }),
        ),
      );
    const { deletion } = await call("CreateDeletion", { visitor_ids: ["acme-v1"] });
    let status = deletion.status;
    while (status === "DELETION_STATUS_PENDING" || status === "DELETION_STATUS_RUNNING") {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call("GetDeletion", { id: deletion.id })).deletion.status;
    }
    expect(status).toBe("DELETION_STATUS_DONE");
    privacy.close();
  });

  it("holds RPC bodies of the standalone gateway to TRELLIS_REQUEST_MAX_BYTES", async () => {
    const oversized = JSON.stringify({ sql: `SELECT '${"x".repeat(GATEWAY_MAX_BYTES)}'` });
    const response = await fetch(`${services.gateway?.url}/trellis.warehouse.v1.AnalyticsService/RunSql`, {
      method: "POST",
      headers: { authorization: `Bearer ${acmeKey}`, "content-type": "application/json" },
      body: oversized,
    });
    expect((await response.json()) as { code?: string }).toMatchObject({ code: "resource_exhausted" });
  });

  it("refuses internal calls that carry no signed context", async () => {
    const query = createClient(QueryService, createGrpcTransport({ baseUrl: services.query?.url ?? "" }));
    const error = await query.execute({}).catch((e: unknown) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
    const forged = await query
      .execute({}, { headers: { "trellis-org-context": "eyJhbGciOiJIUzI1NiJ9.eyJvcmciOiJhY21lIn0.AAAA" } })
      .catch((e: unknown) => ConnectError.from(e));
    expect((forged as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("drain and exit 0 on SIGTERM", async () => {
    const gateway = services.gateway;
    if (!gateway) throw new Error("gateway not started");
    expect(await gateway.stop()).toBe(0);
    expect(gateway.output()).toContain('"msg":"stopped"');
  });
});

describe("configuration", () => {
  it("exits 2 naming each bad or missing variable", async () => {
    const { child, output } = runNode(["./services/query/src/main.ts"], {
      TRELLIS_PORT: "seventy",
      TRELLIS_CACHE_URL: "not a url",
    });
    expect(await exitCode(child)).toBe(2);
    expect(output()).toContain("TRELLIS_PORT: expected a TCP port number");
    expect(output()).toContain("TRELLIS_CONTEXT_SECRET");
    expect(output()).toContain("TRELLIS_CACHE_URL: expected an absolute URL");
  });
});
