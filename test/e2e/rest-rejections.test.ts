import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { AnalyticsService, DateRangeSchema } from "@trellis/contracts";
import { createLogger, installTelemetry, SERVICE_ATTRIBUTE } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

// A REST call is one more way into the gateway's services: refused, it leaves the same log
// line and the same RPC span as a Connect call refused for the same reason.

const telemetry = installTelemetry({ serviceName: "trellis-test", inMemory: true });
const written: string[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    written.push(String(chunk));
    done();
  },
});
let warehouse: TestWarehouse;
let writeOnly: string;

const RPC = "trellis.warehouse.v1.AnalyticsService/GetTraffic";
const range = { start: "2026-05-01", end: "2026-05-02" };

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme"],
    logger: createLogger({ service: "trellis", level: "info", format: "json", destination }),
  });
  writeOnly = await warehouse.createKey("acme", ["events:write"]);
});

afterAll(async () => {
  await warehouse?.close();
});

interface Trace {
  lines: Array<Record<string, unknown>>;
  spans: ReadableSpan[];
}

/** The log lines and finished spans one call leaves. */
async function traced(call: () => Promise<unknown>): Promise<Trace> {
  const exporter = telemetry.memoryExporter;
  if (!exporter) throw new Error("in-memory exporter missing");
  exporter.reset();
  written.length = 0;
  await call();
  return {
    lines: written
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>),
    spans: exporter.getFinishedSpans(),
  };
}

function authHeaders(credential: string | undefined): Record<string, string> {
  return credential === undefined ? {} : { authorization: `Bearer ${credential}` };
}

async function restCall(credential: string | undefined): Promise<number> {
  const response = await fetch(
    `${warehouse.url}/api/v1/analytics/traffic?start_date=${range.start}&end_date=${range.end}`,
    { headers: authHeaders(credential) },
  );
  await response.arrayBuffer();
  return response.status;
}

async function connectCall(credential: string | undefined): Promise<string> {
  const client = createClient(AnalyticsService, createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1" }));
  try {
    await client.getTraffic(
      { range: create(DateRangeSchema, { startDate: range.start, endDate: range.end }) },
      { headers: authHeaders(credential) },
    );
    return "ok";
  } catch (error) {
    return ConnectError.from(error).rawMessage;
  }
}

/** The fields of a log line that do not change from one call to the next. */
function stableFields(line: Record<string, unknown>): Record<string, unknown> {
  const { time: _time, duration_ms: _duration, trace_id: _trace, span_id: _span, ...rest } = line;
  return rest;
}

/** The gateway's span of the RPC: its kind, status and attributes. */
function rpcSpanOf(spans: ReadableSpan[]) {
  const span = spans.find((s) => s.name === RPC && s.attributes[SERVICE_ATTRIBUTE] === "gateway");
  expect(span, `${RPC} span`).toBeDefined();
  return { kind: span?.kind, status: span?.status, attributes: span?.attributes };
}

describe("a refused REST call and a refused Connect call", () => {
  const cases: Array<[string, () => string | undefined, number, string]> = [
    ["no credential", () => undefined, 401, "Unauthenticated"],
    ["an unknown key", () => "trk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 401, "Unauthenticated"],
    ["a key without the analytics scope", () => writeOnly, 403, "PermissionDenied"],
  ];

  it.each(cases)("with %s leave the same log line and the same span", async (_label, credential, status, code) => {
    let restStatus = 0;
    const rest = await traced(async () => {
      restStatus = await restCall(credential());
    });
    const connect = await traced(async () => {
      await connectCall(credential());
    });
    expect(restStatus).toBe(status);

    // The gateway's line (Warden logs its own refusal of an unknown key besides).
    const rejected = (trace: Trace) =>
      trace.lines.filter((line) => line.msg === "rpc rejected" && line.component === "gateway");
    expect(rejected(rest)).toHaveLength(1);
    expect(rejected(connect)).toHaveLength(1);
    const [restLine] = rejected(rest).map(stableFields);
    const [connectLine] = rejected(connect).map(stableFields);
    expect(restLine).toMatchObject({ rpc: RPC, code, component: "gateway", level: "info" });
    expect(restLine).toEqual(connectLine);
    // The line is written inside the RPC's span, as a Connect call's is.
    expect(rejected(rest)[0]?.trace_id).toBeDefined();

    const restSpan = rpcSpanOf(rest.spans);
    expect(restSpan.status?.code).toBe(2);
    expect(restSpan.attributes?.["rpc.connect_rpc.error_code"]).toBe(code);
    expect(restSpan).toEqual(rpcSpanOf(connect.spans));
    // The REST request's own span holds the RPC's, and answers with the HTTP status.
    const httpSpan = rest.spans.find((s) => s.name === "GET /api/v1/analytics/traffic");
    expect(httpSpan?.attributes["http.response.status_code"]).toBe(status);
  });
});
