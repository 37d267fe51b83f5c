import { randomBytes } from "node:crypto";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  AnalyticsService,
  CampaignService,
  EventSchema,
  EventType,
  IngestEventsRequestSchema,
  IngestEventsResponseSchema,
  IngestService,
  MatchOperator,
} from "@trellis/contracts";
import { fieldViolationsOf } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

// Every bad input answers 400 (INVALID_ARGUMENT) naming the field, and nothing invalid is stored.

let warehouse: TestWarehouse;
const recently = () => new Date(Date.now() - 60_000).toISOString();

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex", "broken"],
    env: { TRELLIS_INGEST_FLUSH_MS: "20" },
  });
  await warehouse.insertEvents([
    {
      organizationId: "broken",
      time: new Date("2026-03-03T10:00:00Z"),
      type: "click",
      visitorId: "v1",
      sessionId: "s1",
      source: "google",
    },
    {
      organizationId: "acme",
      time: new Date("2026-03-03T10:00:00Z"),
      type: "click",
      visitorId: "v1",
      sessionId: "s1",
      source: "google",
    },
  ]);
});

afterAll(async () => {
  await warehouse?.close();
});

interface Violation {
  field: string;
  reason: string;
}
/** A parsed JSON answer: an error body (REST or Connect) or any object the tests read fields of. */
type Json = {
  code?: string;
  message?: string;
  error?: { code: string; message: string; violations?: Violation[] };
  campaign?: { name: string; rules: unknown[] };
  campaigns?: Array<{ id: string }>;
  rejected?: Array<{ field: string }>;
  [field: string]: unknown;
};
interface Answer {
  status: number;
  text: string;
  json: Json;
}

async function rest(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; key?: string } = {},
): Promise<Answer> {
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.key ?? warehouse.keys.acme}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    body,
  });
  const text = await response.text();
  // A body that is not JSON (a 408 or 413 from the server) reads as no fields at all.
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = {};
  }
  return { status: response.status, text, json };
}

/** A 400 invalid_argument answer whose violations name `field` (and give `reason`, when asked). */
function expectRefused(answer: Answer, field: string, reason?: string | RegExp): Violation {
  expect(answer.status, answer.text).toBe(400);
  expect(answer.json?.error?.code, answer.text).toBe("invalid_argument");
  const violations = answer.json.error?.violations ?? [];
  const violation = violations.find((v) => v.field === field);
  expect(violation, answer.text).toBeDefined();
  if (reason !== undefined) expect((violation as Violation).reason, answer.text).toMatch(reason);
  return violation as Violation;
}

/** The ConnectError a call fails with (it must fail). */
async function connectError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}

async function expectInvalidArgument(call: Promise<unknown>, field: string, reason?: string | RegExp) {
  const error = await connectError(call);
  expect(error.code, error.message).toBe(Code.InvalidArgument);
  const violation = fieldViolationsOf(error).find((v) => v.field === field);
  expect(violation, error.message).toBeDefined();
  if (reason !== undefined) expect(violation?.reason).toMatch(reason);
  return error;
}

const connect = () => createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1" });
const auth = (key = warehouse.keys.acme) => ({ headers: { authorization: `Bearer ${key}` } });

async function storedEvents(organizationId: string, eventIds: string[]): Promise<number> {
  const { rows } = await warehouse.embedded.store.query<{ n: string }>({
    name: "test.count",
    sql: `SELECT count() AS n FROM ${warehouse.database}.analytics_events
WHERE organization_id = {org:String} AND has({ids:Array(String)}, event_id)`,
    params: { org: organizationId, ids: eventIds },
    organizationId,
  });
  return Number(rows[0]?.n);
}

async function rulesetVersions(organizationId: string): Promise<number> {
  const { rows } = await warehouse.embedded.store.query<{ n: string }>({
    name: "test.rulesets",
    sql: `SELECT count() AS n FROM ${warehouse.database}.campaign_rulesets WHERE organization_id = {org:String}`,
    params: { org: organizationId },
    organizationId,
  });
  return Number(rows[0]?.n);
}

const click = (eventId: string, extra: Record<string, unknown> = {}) => ({
  event_id: eventId,
  type: "EVENT_TYPE_CLICK",
  time: recently(),
  url: "https://shop.example/landing?utm_source=newsletter",
  ip: "81.2.69.142",
  visitor_id: "v1",
  session_id: "s1",
  ...extra,
});

const rule = { conditions: [{ field: "source", operator: "equals", value: "google" }] };
const march = "start_date=2026-03-01&end_date=2026-03-31";

describe("dates outside the supported range (2000-01-01 … 2099-12-31)", () => {
  it.each([
    ["/api/v1/analytics/campaigns?start_date=0000-01-01&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/campaigns?start_date=2026-01-01&end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/campaigns?end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/campaigns?end_date=not-a-date", "range.end_date"],
    ["/api/v1/analytics/attribution/models?start_date=0000-01-01&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/attribution/models?start_date=2026-01-01&end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/funnel?start_date=0000-01-01&end_date=2026-01-31&steps=pageview,click", "range.start_date"],
    ["/api/v1/analytics/funnel?start_date=2026-01-01&end_date=9999-12-31&steps=pageview,click", "range.end_date"],
    ["/api/v1/analytics/cohorts?start_date=0000-01-01&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/cohorts?end_date=9999-12-31", "range.end_date"],
    ["/api/v1/analytics/traffic?start_date=1969-12-31&end_date=2026-01-31", "range.start_date"],
    ["/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2149-06-06", "range.end_date"],
  ])("%s answers 400 naming %s", async (path, field) => {
    expectRefused(await rest("GET", path), field, /2000-01-01 and 2099-12-31|YYYY-MM-DD/);
  });

  it("refuses them in a campaign preview, on REST and Connect", async () => {
    const answer = await rest("POST", "/api/v1/campaigns/preview", {
      body: { campaign: { name: "x", rules: [rule] }, range: { start_date: "0000-01-01", end_date: "2026-01-31" } },
    });
    expectRefused(answer, "range.start_date", /between 2000-01-01 and 2099-12-31/);
    const campaigns = createClient(CampaignService, connect());
    await expectInvalidArgument(
      campaigns.previewCampaign(
        {
          campaign: {
            name: "x",
            rules: [{ conditions: [{ field: "source", operator: MatchOperator.EXISTS }] }],
          },
          range: { startDate: "2026-01-01", endDate: "9999-12-31" },
        },
        auth(),
      ),
      "range.end_date",
    );
  });

  it("refuses them on Connect", async () => {
    const analytics = createClient(AnalyticsService, connect());
    await expectInvalidArgument(
      analytics.getCampaignPerformance({ range: { startDate: "0000-01-01", endDate: "2026-01-31" } }, auth()),
      "range.start_date",
    );
    await expectInvalidArgument(
      analytics.compareAttributionModels({ range: { startDate: "2026-01-01", endDate: "9999-12-31" } }, auth()),
      "range.end_date",
    );
    await expectInvalidArgument(
      analytics.getCohorts({ range: { startDate: "0000-01-01", endDate: "2026-01-31" } }, auth()),
      "range.start_date",
    );
    await expectInvalidArgument(
      analytics.getFunnel(
        { range: { startDate: "0000-01-01", endDate: "2026-01-31" }, steps: [{ name: "a" }, { name: "b" }] },
        auth(),
      ),
      "range.start_date",
    );
  });

  it("still answers the first and last supported dates", async () => {
    for (const path of [
      "/api/v1/analytics/traffic?start_date=2000-01-01&end_date=2000-01-31&group_by=week",
      "/api/v1/analytics/traffic?start_date=2099-12-01&end_date=2099-12-31&group_by=hour&time_zone=Pacific/Kiritimati",
      "/api/v1/analytics/attribution/models?start_date=2000-01-01&end_date=2000-01-31&lookback_days=365",
      "/api/v1/analytics/cohorts?end_date=2000-01-10",
      "/api/v1/analytics/campaigns?start_date=2099-12-31&end_date=2099-12-31&group_by=month",
    ]) {
      const answer = await rest("GET", path);
      expect(answer.status, `${path}: ${answer.text}`).toBe(200);
    }
  });
});

describe("as_of_ruleset_version", () => {
  it.each([
    [`/api/v1/analytics/traffic?${march}&as_of_ruleset_version=9007199254740992`, /9007199254740991/],
    [`/api/v1/analytics/campaigns?${march}&as_of_ruleset_version=9007199254740993`, /9007199254740991/],
    [`/api/v1/analytics/attribution/models?${march}&as_of_ruleset_version=18446744073709551615`, /9007199254740991/],
    ["/api/v1/campaigns?as_of_ruleset_version=9007199254740993", /9007199254740991/],
    ["/api/v1/campaigns?include_archived=true&as_of_ruleset_version=18446744073709551615", /9007199254740991/],
    ["/api/v1/campaigns?as_of_ruleset_version=18446744073709551616", /too large/],
    ["/api/v1/campaigns?as_of_ruleset_version=-1", /whole number/],
    [`/api/v1/analytics/campaigns?${march}&as_of_ruleset_version=1.5`, /whole number/],
    [`/api/v1/analytics/traffic?${march}&as_of_ruleset_version=1e3`, /whole number/],
  ])("%s answers 400", async (path, reason) => {
    expectRefused(await rest("GET", path), "as_of_ruleset_version", reason);
  });

  it("refuses them on Connect, and the largest accepted version is merely absent", async () => {
    const campaigns = createClient(CampaignService, connect());
    await expectInvalidArgument(
      campaigns.listCampaigns({ asOfRulesetVersion: 2n ** 64n - 1n }, auth()),
      "as_of_ruleset_version",
    );
    const analytics = createClient(AnalyticsService, connect());
    await expectInvalidArgument(
      analytics.getTraffic(
        { range: { startDate: "2026-03-01", endDate: "2026-03-31" }, asOfRulesetVersion: 2n ** 53n },
        auth(),
      ),
      "as_of_ruleset_version",
    );
    const largest = await rest("GET", "/api/v1/campaigns?as_of_ruleset_version=9007199254740991");
    expect(largest.status, largest.text).toBe(404);
  });
});

describe("cohort periods", () => {
  it.each([
    ["4294967295", /at most 104/],
    ["4294967296", /too large/],
    ["105", /at most 104/],
  ])("periods=%s answers 400 naming the maximum", async (periods, reason) => {
    expectRefused(await rest("GET", `/api/v1/analytics/cohorts?periods=${periods}`), "periods", reason);
    expectRefused(
      await rest("GET", `/api/v1/analytics/cohorts?${march}&cohort_type=monthly&periods=${periods}`),
      "periods",
      reason,
    );
  });

  it("answers the largest number of periods", async () => {
    const answer = await rest("GET", `/api/v1/analytics/cohorts?${march}&periods=104`);
    expect(answer.status, answer.text).toBe(200);
  });
});

describe("batch ids", () => {
  const long = "b".repeat(129);

  it("refuses a batch_id over 128 characters, in the body or the query string, storing nothing", async () => {
    expectRefused(
      await rest("POST", "/api/v1/events", { body: { batch_id: long, events: [click("batch-body-1")] } }),
      "batch_id",
      /1-128/,
    );
    expectRefused(
      await rest("POST", `/api/v1/events?batch_id=${long}`, { body: [click("batch-query-1")] }),
      "batch_id",
    );
    expect(await storedEvents("acme", ["batch-body-1", "batch-query-1"])).toBe(0);
  });

  it("refuses an Idempotency-Key over 128 characters (or with other characters) naming the header", async () => {
    expectRefused(
      await rest("POST", "/api/v1/events", { body: [click("batch-header-1")], headers: { "idempotency-key": long } }),
      "Idempotency-Key",
      /1-128/,
    );
    expectRefused(
      await rest("POST", "/api/v1/events", {
        body: [click("batch-header-2")],
        headers: { "idempotency-key": "two words" },
      }),
      "Idempotency-Key",
    );
    expect(await storedEvents("acme", ["batch-header-1", "batch-header-2"])).toBe(0);
    const accepted = await rest("POST", "/api/v1/events", {
      body: [click("batch-header-3")],
      headers: { "idempotency-key": "k".repeat(128) },
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.json.batch_id).toBe("k".repeat(128));
    expect(await storedEvents("acme", ["batch-header-3"])).toBe(1);
  });

  it("refuses them on Connect, in unary and streamed batches", async () => {
    const ingest = createClient(IngestService, connect());
    const event = (id: string) =>
      create(EventSchema, {
        eventId: id,
        type: EventType.CLICK,
        time: timestampFromDate(new Date(Date.now() - 60_000)),
        url: "https://shop.example/",
      });
    await expectInvalidArgument(
      ingest.ingestEvents({ batchId: long, events: [event("batch-connect-1")] }, auth()),
      "batch_id",
    );
    await expectInvalidArgument(
      ingest.streamEvents(
        (async function* () {
          yield { batchId: long, events: [event("batch-connect-2")] };
        })(),
        auth(),
      ),
      "batches[0].batch_id",
    );
    expect(await storedEvents("acme", ["batch-connect-1", "batch-connect-2"])).toBe(0);
  });

  it("refuses a batch that comes both encoded and as events, naming events; an encoded batch alone is taken", async () => {
    const ingest = createClient(IngestService, connect());
    const when = new Date(Date.now() - 60_000).toISOString();
    const body = (id: string) =>
      new TextEncoder().encode(
        `${JSON.stringify({ event_id: id, type: "EVENT_TYPE_CLICK", time: when, url: "https://shop.example/" })}\n`,
      );
    const both = create(EventSchema, {
      eventId: "encoded-both-2",
      type: EventType.CLICK,
      time: timestampFromDate(new Date(when)),
      url: "https://shop.example/",
    });
    await expectInvalidArgument(
      ingest.ingestEvents(
        { encoded: { contentType: "application/x-ndjson", body: body("encoded-both-1") }, events: [both] },
        auth(),
      ),
      "events",
      /must be empty/,
    );
    expect(await storedEvents("acme", ["encoded-both-1", "encoded-both-2"])).toBe(0);

    const alone = await ingest.ingestEvents(
      { encoded: { contentType: "application/x-ndjson", body: body("encoded-alone-1") } },
      auth(),
    );
    expect(alone.rejected, JSON.stringify(alone.rejected)).toEqual([]);
    expect(alone.acceptedEventIds).toEqual(["encoded-alone-1"]);
    expect(await storedEvents("acme", ["encoded-alone-1"])).toBe(1);
  });
});

/** The envelopes of a streamed answer (Connect streaming, gRPC-web): flags and data of each. */
function envelopes(bytes: Buffer): Array<{ flags: number; data: Buffer }> {
  const out: Array<{ flags: number; data: Buffer }> = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at + 1);
    out.push({ flags: bytes[at] as number, data: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** An RPC path answered by the gateway. */
const getTraffic = "/trellis.warehouse.v1.AnalyticsService/GetTraffic";

describe("bodies that are not a message of the method", () => {
  it("answers 400 invalid_argument to bytes that are not protobuf, on Connect", async () => {
    const garbage = await rest("POST", getTraffic, {
      raw: Buffer.from([0x0f, 0xff, 0xff]),
      headers: { "content-type": "application/proto" },
    });
    expect(garbage.status, garbage.text).toBe(400);
    expect(garbage.json).toMatchObject({ code: "invalid_argument" });
    expect(garbage.json.message).toContain("trellis.warehouse.v1.GetTrafficRequest");
    // Random bytes are sometimes a well-formed message (unknown fields are skipped): then it is
    // answered as that message. Either way, never an internal error.
    for (let i = 0; i < 20; i++) {
      const random = await rest("POST", getTraffic, {
        raw: randomBytes(16 + i * 7),
        headers: { "content-type": "application/proto" },
      });
      expect(random.status, random.text).toBeLessThan(500);
      if (random.status === 400 && random.json?.code !== "invalid_argument") expect.fail(random.text);
    }
  });

  it("answers 400 invalid_argument to JSON that does not parse, or is not UTF-8", async () => {
    const broken = await rest("POST", getTraffic, {
      raw: '{"range": {',
      headers: { "content-type": "application/json" },
    });
    expect(broken.status, broken.text).toBe(400);
    expect(broken.json).toMatchObject({ code: "invalid_argument" });
    const notUtf8 = await rest("POST", getTraffic, {
      raw: Buffer.concat([
        Buffer.from('{"range": {"startDate": "2026-03-01", "endDate": "2026-03-31"}, "dimensions": ["source'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"]}'),
      ]),
      headers: { "content-type": "application/json" },
    });
    expect(notUtf8.status, notUtf8.text).toBe(400);
    expect(notUtf8.json).toMatchObject({ code: "invalid_argument" });
  });

  it("answers INVALID_ARGUMENT on gRPC and gRPC-web", async () => {
    const envelope = (data: Buffer, flags = 0) => {
      const head = Buffer.alloc(5);
      head[0] = flags;
      head.writeUInt32BE(data.length, 1);
      return Buffer.concat([head, data]);
    };
    const session = http2.connect(warehouse.url);
    try {
      const status = await new Promise<string | undefined>((resolve, reject) => {
        const request = session.request({
          ":method": "POST",
          ":path": getTraffic,
          "content-type": "application/grpc+proto",
          te: "trailers",
          authorization: `Bearer ${warehouse.keys.acme}`,
        });
        let grpcStatus: string | undefined;
        request.on("response", (headers) => {
          if (headers["grpc-status"] !== undefined) grpcStatus = String(headers["grpc-status"]);
        });
        request.on("trailers", (trailers) => {
          if (trailers["grpc-status"] !== undefined) grpcStatus = String(trailers["grpc-status"]);
        });
        request.on("data", () => {});
        request.on("end", () => resolve(grpcStatus));
        request.on("error", reject);
        request.end(envelope(Buffer.from([0x0f, 0xff, 0xff])));
      });
      expect(status).toBe(String(Code.InvalidArgument));
    } finally {
      session.close();
    }

    const web = await fetch(`${warehouse.url}${getTraffic}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", authorization: `Bearer ${warehouse.keys.acme}` },
      body: envelope(Buffer.from([0x0f, 0xff, 0xff])),
    });
    const frames = envelopes(Buffer.from(await web.arrayBuffer()));
    const trailer = frames.find((frame) => frame.flags === 0x80)?.data.toString("utf8") ?? "";
    expect(web.status).toBe(200);
    expect(trailer).toMatch(/grpc-status:\s*3\b/);
  });

  it("answers invalid_argument to a streamed message that is not one", async () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(3, 1);
    const response = await fetch(`${warehouse.url}/trellis.warehouse.v1.IngestService/StreamEvents`, {
      method: "POST",
      headers: { "content-type": "application/connect+proto", authorization: `Bearer ${warehouse.keys.acme}` },
      body: Buffer.concat([head, Buffer.from([0x0f, 0xff, 0xff])]),
    });
    const frames = envelopes(Buffer.from(await response.arrayBuffer()));
    const end = JSON.parse(frames.find((frame) => frame.flags === 0x02)?.data.toString("utf8") ?? "{}") as {
      error?: { code: string };
    };
    expect(end.error?.code).toBe("invalid_argument");
  });

  it("refuses a binary event whose URL is not UTF-8, storing nothing", async () => {
    const request = create(IngestEventsRequestSchema, {
      events: [
        create(EventSchema, {
          eventId: "binary-utf8-1",
          type: EventType.CLICK,
          time: timestampFromDate(new Date(Date.now() - 60_000)),
          url: "https://shop.example/ZZZZ",
        }),
      ],
    });
    const bytes = Buffer.from(toBinary(IngestEventsRequestSchema, request));
    const at = bytes.indexOf("ZZZZ");
    bytes.set([0xff, 0xfe, 0xc0, 0x80], at);
    const answer = await fetch(`${warehouse.url}/trellis.warehouse.v1.IngestService/IngestEvents`, {
      method: "POST",
      headers: { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/proto" },
      body: bytes,
    });
    // Refused alone, naming the event and its field, as one bad event of a JSON batch is.
    expect(answer.status).toBe(200);
    const reply = fromBinary(IngestEventsResponseSchema, new Uint8Array(await answer.arrayBuffer()));
    expect(reply.accepted).toBe(0);
    expect(reply.rejected.map(({ index, field, reason }) => ({ index, field, reason }))).toEqual([
      { index: 0, field: "events[0].url", reason: "is not valid UTF-8" },
    ]);
    expect(await storedEvents("acme", ["binary-utf8-1"])).toBe(0);
  });
});

describe("campaign windows", () => {
  it("refuses valid_from 0000-01-01 and valid_until 9999-12-31 before saving, on create and update", async () => {
    const before = await rulesetVersions("globex");
    expectRefused(
      await rest("POST", "/api/v1/campaigns", {
        body: { name: "Year zero", rules: [{ ...rule, valid_from: "0000-01-01T00:00:00Z" }] },
        key: warehouse.keys.globex,
      }),
      "rules[0].valid_from",
      /between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z/,
    );
    expectRefused(
      await rest("POST", "/api/v1/campaigns", {
        body: { name: "Forever", rules: [{ ...rule, valid_until: "9999-12-31T23:59:59Z" }] },
        key: warehouse.keys.globex,
      }),
      "rules[0].valid_until",
    );
    expect(await rulesetVersions("globex")).toBe(before);

    const created = await rest("POST", "/api/v1/campaigns", {
      body: { id: "window", name: "Window", rules: [{ ...rule, valid_from: "2026-03-01T00:00:00Z" }] },
      key: warehouse.keys.globex,
    });
    expect(created.status, created.text).toBe(200);
    expectRefused(
      await rest("PUT", "/api/v1/campaigns/window", {
        body: { name: "Window", rules: [rule, { ...rule, valid_from: "0000-01-01T00:00:00Z" }] },
        key: warehouse.keys.globex,
      }),
      "rules[1].valid_from",
    );
    const kept = await rest("GET", "/api/v1/campaigns/window", { key: warehouse.keys.globex });
    expect(kept.status, kept.text).toBe(200);
    expect(kept.json.campaign?.rules).toEqual([expect.objectContaining({ valid_from: "2026-03-01T00:00:00Z" })]);
    expect(await rulesetVersions("globex")).toBe(before + 1);

    const campaigns = createClient(CampaignService, connect());
    const conditions = [{ field: "source", operator: MatchOperator.EXISTS }];
    await expectInvalidArgument(
      campaigns.createCampaign(
        { campaign: { name: "Year zero", rules: [{ conditions, validFrom: { seconds: -62_167_219_200n } }] } },
        auth(warehouse.keys.globex),
      ),
      "campaign.rules[0].valid_from",
    );
    await expectInvalidArgument(
      campaigns.updateCampaign(
        {
          campaign: {
            id: "window",
            name: "Window",
            rules: [{ conditions, validUntil: { seconds: 253_402_300_799n } }],
          },
        },
        auth(warehouse.keys.globex),
      ),
      "campaign.rules[0].valid_until",
    );
    expect(await rulesetVersions("globex")).toBe(before + 1);
  });

  it("keeps answering for an organization whose stored campaigns cannot be read, and lets them be replaced", async () => {
    const campaign = (id: string, extra: Record<string, unknown> = {}, ruleExtra: Record<string, unknown> = {}) => ({
      id,
      name: id,
      priority: 1,
      archived: false,
      rules: [{ conditions: [{ field: "source", operator: "equals", values: ["google"] }], ...ruleExtra }],
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      version: 1,
      ...extra,
    });
    // Written straight into the store, as a build without today's checks (or a hand) would have.
    await warehouse.embedded.store.command({
      name: "test.unreadable ruleset",
      sql: `INSERT INTO ${warehouse.database}.campaign_rulesets
SELECT {org:String}, 1, generateUUIDv4(), now64(3), 'test', 'written by hand', {campaigns:String}`,
      params: {
        org: "broken",
        campaigns: JSON.stringify([
          campaign("cmp_good"),
          campaign("cmp_year0", {}, { validFrom: "0000-01-01T00:00:00.000Z" }),
          campaign("cmp_feb30", {}, { validUntil: "2026-02-30T00:00:00.000Z" }),
          campaign("cmp_field", {
            rules: [{ conditions: [{ field: "shoe_size", operator: "equals", values: ["42"] }] }],
          }),
          campaign("cmp_nul", { name: "a\u0000b" }),
          campaign("cmp_created", { createdAt: "9999-12-31T00:00:00.000Z" }),
        ]),
      },
      organizationId: "broken",
    });
    const key = warehouse.keys.broken;
    for (const path of [
      "/api/v1/campaigns",
      "/api/v1/campaigns?include_archived=true",
      "/api/v1/campaigns?as_of_ruleset_version=1",
    ]) {
      const listed = await rest("GET", path, { key });
      expect(listed.status, `${path}: ${listed.text}`).toBe(200);
      expect(listed.json.campaigns?.map((c) => c.id)).toEqual(["cmp_good"]);
    }
    expect((await rest("GET", "/api/v1/campaigns/cmp_good", { key })).status).toBe(200);
    const unreadable = await rest("GET", "/api/v1/campaigns/cmp_year0", { key });
    expect(unreadable.status, unreadable.text).toBe(412);
    expect(unreadable.json.error?.code).toBe("failed_precondition");
    expect(unreadable.json.error?.message).toContain("rules[0].valid_from");
    expect((await rest("DELETE", "/api/v1/campaigns/cmp_field", { key })).status).toBe(412);
    expect(
      (await rest("POST", "/api/v1/campaigns", { body: { id: "cmp_nul", name: "x", rules: [rule] }, key })).status,
    ).toBe(409);
    const campaigns = createClient(CampaignService, connect());
    expect((await campaigns.listCampaigns({}, auth(key))).campaigns.map((c) => c.id)).toEqual(["cmp_good"]);

    // Questions run under the readable campaigns.
    const performance = await rest("GET", `/api/v1/analytics/campaigns?${march}`, { key });
    expect(performance.status, performance.text).toBe(200);
    expect(performance.json.rows).toEqual([expect.objectContaining({ campaign_id: "cmp_good", clicks: "1" })]);

    // Replacing one makes it readable; the others are carried forward as they were stored.
    const replaced = await rest("PUT", "/api/v1/campaigns/cmp_year0", {
      body: { name: "Year 2026", rules: [{ ...rule, valid_from: "2026-01-01T00:00:00Z" }] },
      key,
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect((await rest("GET", "/api/v1/campaigns/cmp_year0", { key })).json.campaign?.name).toBe("Year 2026");
    const after = await rest("GET", "/api/v1/campaigns", { key });
    expect(after.json.campaigns?.map((c) => c.id).sort()).toEqual(["cmp_good", "cmp_year0"]);
    const { rows } = await warehouse.embedded.store.query<{ campaigns: string }>({
      name: "test.ruleset",
      sql: `SELECT campaigns FROM ${warehouse.database}.campaign_rulesets WHERE organization_id = 'broken' AND version = 2`,
      organizationId: "broken",
    });
    const stored = JSON.parse(rows[0]?.campaigns ?? "[]") as Array<{ id: string }>;
    expect(stored.map((c) => c.id).sort()).toEqual([
      "cmp_created",
      "cmp_feb30",
      "cmp_field",
      "cmp_good",
      "cmp_nul",
      "cmp_year0",
    ]);
  });
});

describe("dates that are not on the calendar", () => {
  it("refuses an event at 2026-02-30 naming its time, storing nothing (not March 2)", async () => {
    const refused = await rest("POST", "/api/v1/events", {
      body: [click("feb30-1", { time: "2026-02-30T10:00:00Z" })],
    });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.rejected).toEqual([
      { index: 0, field: "events[0].time", reason: expect.stringContaining("is not a calendar date") },
    ]);
    const mixed = await rest("POST", "/api/v1/events", {
      raw: `${JSON.stringify(click("feb30-2"))}\n${JSON.stringify(click("feb30-3", { time: "2026-11-31T10:00:00Z" }))}\n`,
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(mixed.status, mixed.text).toBe(200);
    expect(mixed.json.rejected).toEqual([
      { index: 1, field: "events[1].time", reason: expect.stringContaining("is not a calendar date") },
    ]);
    expect(await storedEvents("acme", ["feb30-1", "feb30-3"])).toBe(0);
    expect(await storedEvents("acme", ["feb30-2"])).toBe(1);
  });

  it("refuses it in a campaign window and in a question's range", async () => {
    expectRefused(
      await rest("POST", "/api/v1/campaigns", {
        body: { name: "Feb", rules: [{ ...rule, valid_from: "2026-02-30T00:00:00Z" }] },
      }),
      "rules[0].valid_from",
      /not a calendar date/,
    );
    expectRefused(
      await rest("POST", "/api/v1/campaigns/preview", {
        body: { campaign: { name: "x", rules: [rule] }, range: { start_date: "2026-02-01", end_date: "2026-02-29" } },
      }),
      "range.end_date",
      /not a calendar date/,
    );
    expectRefused(await rest("GET", "/api/v1/analytics/cohorts?end_date=2026-04-31"), "range.end_date");
    expectRefused(
      await rest("GET", "/api/v1/analytics/funnel?start_date=2026-02-30&end_date=2026-03-31&steps=a,b"),
      "range.start_date",
    );
    expect(await rulesetVersions("acme")).toBe(0);
  });
});

describe("request bodies that are not UTF-8", () => {
  const withBadByte = (json: string) => {
    const [before, after] = json.split("@@");
    return Buffer.concat([Buffer.from(before ?? ""), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(after ?? "")]);
  };

  it("refuses an event whose URL is not UTF-8, naming the body, storing nothing", async () => {
    const body = withBadByte(JSON.stringify([click("utf8-1", { url: "https://shop.example/@@" })]));
    expectRefused(await rest("POST", "/api/v1/events", { raw: body }), "body", /UTF-8/);
    expectRefused(
      await rest("POST", "/api/v1/events", { raw: gzipSync(body), headers: { "content-encoding": "gzip" } }),
      "body",
      /UTF-8/,
    );
    const ndjson = withBadByte(
      `${JSON.stringify(click("utf8-2"))}\n${JSON.stringify(click("utf8-3", { visitor_id: "@@" }))}\n`,
    );
    expectRefused(
      await rest("POST", "/api/v1/events", { raw: ndjson, headers: { "content-type": "application/x-ndjson" } }),
      "body",
    );
    expect(await storedEvents("acme", ["utf8-1", "utf8-2", "utf8-3"])).toBe(0);
  });

  it("refuses other JSON bodies that are not UTF-8", async () => {
    expectRefused(
      await rest("POST", "/api/v1/campaigns", { raw: withBadByte(JSON.stringify({ name: "@@", rules: [rule] })) }),
      "body",
    );
    expect(await rulesetVersions("acme")).toBe(0);
  });
});

describe("NUL and broken Unicode in campaign text", () => {
  it("refuses them in the name and in values, on REST and Connect, storing nothing", async () => {
    expectRefused(
      await rest("POST", "/api/v1/campaigns", { body: { name: "Spring\u0000sale", rules: [rule] } }),
      "campaign.name",
      /NUL/,
    );
    expectRefused(
      await rest("POST", "/api/v1/campaigns", { body: { name: "Spring\ud800", rules: [rule] } }),
      "campaign.name",
      /Unicode/,
    );
    expectRefused(
      await rest("POST", "/api/v1/campaigns", {
        body: { name: "Spring", rules: [{ conditions: [{ field: "source", operator: "equals", value: "a\u0000" }] }] },
      }),
      "campaign.rules[0].conditions[0].values[0]",
      /NUL/,
    );
    const campaigns = createClient(CampaignService, connect());
    await expectInvalidArgument(
      campaigns.createCampaign(
        {
          campaign: {
            name: "nul\u0000",
            rules: [{ conditions: [{ field: "source", operator: MatchOperator.EXISTS }] }],
          },
        },
        auth(),
      ),
      "campaign.name",
      /NUL/,
    );
    expect(await rulesetVersions("acme")).toBe(0);
  });
});

describe("errors repeat at most 64 characters of what the caller sent", () => {
  const huge = "x".repeat(100_000);
  const long = "x".repeat(40_000);
  const echoed = `${"x".repeat(64)}…`;
  /** A 400 of bounded size that never repeats more than 64 characters of the value. */
  const bounded = (answer: Answer) => {
    expect(answer.status, answer.text.slice(0, 300)).toBe(400);
    expect(answer.text.length).toBeLessThan(3_000);
    expect(answer.text).not.toContain("x".repeat(65));
  };

  it.each([
    [`/api/v1/analytics/traffic?${march}&group_by=${long}`, "group_by"],
    [`/api/v1/analytics/traffic?${march}&time_zone=${long}`, "range.time_zone"],
    [`/api/v1/analytics/traffic?start_date=${long}&end_date=2026-03-31`, "range.start_date"],
    [`/api/v1/analytics/attribution/models?${march}&models=${long}`, "models"],
    [`/api/v1/analytics/realtime?metrics=${long}`, "metrics[0]"],
    [`/api/v1/analytics/campaigns?${march}&metrics=clicks,${long}`, "metrics"],
    [`/api/v1/analytics/traffic?${march}&as_of_ruleset_version=${long}`, "as_of_ruleset_version"],
    [`/api/v1/analytics/funnel?${march}&steps=a,b&window=${long}`, "window"],
    [`/api/v1/analytics/traffic?${march}&${long}=1`, echoed],
  ])("%#: a long value in the query string is repeated cut short", async (path, field) => {
    const answer = await rest("GET", path);
    bounded(answer);
    expect(answer.text).toContain(echoed);
    expectRefused(answer, field);
  });

  it("unknown dimension and metric names, however long", async () => {
    bounded(await rest("GET", `/api/v1/analytics/traffic?${march}&dimensions=${long}`));
    const name = "x".repeat(100);
    const answer = await rest("GET", `/api/v1/analytics/traffic?${march}&dimensions=${name}`);
    bounded(answer);
    expect(expectRefused(answer, "dimensions[0]").reason).toBe(`unknown dimension "${echoed}"`);
    bounded(
      await rest("POST", "/api/v1/analytics/query", {
        body: { metrics: ["events"], dimensions: [huge], time_range: { start: "2026-03-01", end: "2026-03-31" } },
      }),
    );
    const metric = await rest("POST", "/api/v1/analytics/query", {
      body: { metrics: [name], time_range: { start: "2026-03-01", end: "2026-03-31" } },
    });
    bounded(metric);
    expect(metric.text).toContain(echoed);
  });

  it("long names in bodies: campaign fields, JSON keys, event fields", async () => {
    const field = await rest("POST", "/api/v1/campaigns", {
      body: { name: "x", rules: [{ conditions: [{ field: huge, operator: "exists" }] }] },
    });
    bounded(field);
    expect(field.text).toContain(echoed);
    const key = await rest("POST", "/api/v1/campaigns", { body: { name: "x", rules: [rule], [huge]: 1 } });
    bounded(key);
    expectRefused(key, echoed);
    const event = await rest("POST", "/api/v1/events", { body: [{ ...click("echo-1"), [huge]: "y" }] });
    expect(event.status).toBe(400);
    expect(event.text.length).toBeLessThan(3_000);
    expect(event.json.rejected?.[0]?.field).toBe(`events[0].${echoed}`);
    const header = await rest("POST", "/api/v1/events", { body: [click("echo-2", { headers: { [huge]: "1" } })] });
    expect(header.status).toBe(400);
    expect(header.text.length).toBeLessThan(3_000);
    expect(header.json.rejected?.[0]?.field).toBe(`events[0].headers.${echoed}`);
    expect(await rulesetVersions("acme")).toBe(0);
    expect(await storedEvents("acme", ["echo-1", "echo-2"])).toBe(0);
  });

  it("on Connect", async () => {
    const analytics = createClient(AnalyticsService, connect());
    const range = { startDate: "2026-03-01", endDate: "2026-03-31" };
    const dimension = await expectInvalidArgument(
      analytics.getTraffic({ range, dimensions: [huge] }, auth()),
      "dimensions[0]",
    );
    expect(dimension.rawMessage.length).toBeLessThan(300);
    const zone = await expectInvalidArgument(
      analytics.getTraffic({ range: { ...range, timeZone: "x".repeat(100_000) } }, auth()),
      "range.time_zone",
    );
    expect(zone.rawMessage.length).toBeLessThan(300);
    expect(fieldViolationsOf(zone)[0]?.reason).toContain(`"${echoed}"`);
  });
});
