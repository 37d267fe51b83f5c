import { gzipSync } from "node:zlib";
import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { EventSchema, EventType, IngestService, StreamEventsRequestSchema } from "@trellis/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;
const now = () => new Date(Date.now() - 60_000).toISOString();

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex"],
    env: { TRELLIS_INGEST_FLUSH_MS: "20" },
  });
});

afterAll(async () => {
  await warehouse?.close();
});

function post(body: string | Buffer, headers: Record<string, string> = {}, key = warehouse.keys.acme) {
  return fetch(`${warehouse.url}/api/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body,
  });
}

async function storedCount(organizationId: string, where = "1"): Promise<number> {
  const { rows } = await warehouse.embedded.store.query<{ n: string }>({
    name: "test.count",
    sql: `SELECT count() AS n FROM ${warehouse.database}.analytics_events WHERE organization_id = {org:String} AND ${where}`,
    params: { org: organizationId },
    organizationId,
  });
  return Number(rows[0]?.n);
}

const click = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  type: "EVENT_TYPE_CLICK",
  time: now(),
  url: "https://shop.example/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
  referrer: "https://mail.google.com/",
  user_agent:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  ip: "81.2.69.142",
  visitor_id: "v1",
  session_id: "s1",
  headers: { "accept-language": "en-GB" },
  ...extra,
});

describe("POST /api/v1/events", () => {
  it("stores the valid events of a mixed batch, enriched, and reports each bad one by index", async () => {
    const response = await post(
      JSON.stringify([
        click("mixed-1"),
        { ...click("mixed-2"), type: "EVENT_TYPE_NOPE" },
        click("mixed-3", { ip: "300.1.1.1" }),
        { ...click("mixed-4"), time: "yesterday" },
        click("mixed-5", { type: "EVENT_TYPE_CONVERSION", conversion_name: "purchase", value: 42.5, currency: "EUR" }),
      ]),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      accepted: number;
      accepted_event_ids: string[];
      rejected: Array<{ index: number; field: string }>;
    };
    expect(body.accepted).toBe(2);
    expect(body.accepted_event_ids).toEqual(["mixed-1", "mixed-5"]);
    expect(body.rejected.map((r) => [r.index, r.field])).toEqual([
      [1, "events[1].type"],
      [2, "events[2].ip"],
      [3, "events[3].time"],
    ]);
    const { rows } = await warehouse.embedded.store.query<Record<string, unknown>>({
      name: "test.row",
      sql: `SELECT source, medium, campaign_id, channel, referrer_class, toString(ip_anonymized) AS ip, ip_hash, device_type, browser,
              conversion_value, currency, query_params['utm_campaign'] AS utm_campaign, retention_days
            FROM ${warehouse.database}.analytics_events WHERE organization_id = 'acme' AND event_id IN ('mixed-1', 'mixed-5') ORDER BY event_id`,
      organizationId: "acme",
    });
    expect(rows[0]).toMatchObject({
      source: "newsletter",
      medium: "email",
      campaign_id: "spring",
      utm_campaign: "spring",
      device_type: "desktop",
    });
    expect(String(rows[0]?.ip)).not.toContain("81.2.69.142");
    expect(String(rows[0]?.ip_hash)).not.toBe("0");
    expect(rows[1]).toMatchObject({ currency: "EUR" });
    expect(Number(rows[1]?.conversion_value)).toBe(42.5);
  });

  it("never stores a retried batch twice", async () => {
    const batch = JSON.stringify({ batch_id: "retry-batch-1", events: [click("r-1"), click("r-2"), click("r-3")] });
    for (let attempt = 0; attempt < 3; attempt++) expect((await post(batch)).status).toBe(200);
    expect(await storedCount("acme", "batch_id = 'retry-batch-1'")).toBe(3);

    const sameEvents = JSON.stringify([click("k-1"), click("k-2")]);
    await Promise.all([post(sameEvents), post(sameEvents), post(sameEvents)]);
    expect((await post(sameEvents)).status).toBe(200);
    expect(await storedCount("acme", "event_id IN ('k-1', 'k-2')")).toBe(2);

    const viaHeader = JSON.stringify([click("h-1", { event_id: "" })]);
    await post(viaHeader, { "idempotency-key": "header-batch-9" });
    await post(viaHeader, { "idempotency-key": "header-batch-9" });
    expect(await storedCount("acme", "batch_id = 'header-batch-9'")).toBe(1);
  });

  it("accepts NDJSON and gzip", async () => {
    const ndjson = `${JSON.stringify(click("nd-1"))}\n${JSON.stringify(click("nd-2"))}\nnot json\n`;
    const response = await post(gzipSync(ndjson), {
      "content-type": "application/x-ndjson",
      "content-encoding": "gzip",
    });
    const body = (await response.json()) as { accepted: number; rejected: Array<{ index: number; reason: string }> };
    expect(body.accepted).toBe(2);
    expect(body.rejected[0]?.index).toBe(2);
    expect(body.rejected[0]?.reason).toMatch(/^is not valid JSON/);
  });

  it("answers 413 for an oversized body, 400 for a bad body and 401/403 without the right key", async () => {
    const huge = JSON.stringify([click("big", { properties: { blob: "x".repeat(1000) } })]).repeat(20_000);
    expect((await post(huge)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 32));
    expect((await post(bomb, { "content-encoding": "gzip" })).status).toBe(413);
    const notJson = await post("{oops");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { violations: [{ field: "body" }] } });
    expect((await post("[]")).status).toBe(400);
    const tooMany = JSON.stringify(
      Array.from({ length: 10_001 }, (_, i) => ({ type: "EVENT_TYPE_CUSTOM", name: `n${i}` })),
    );
    const tooManyResponse = await post(tooMany);
    expect(tooManyResponse.status).toBe(400);
    expect(await tooManyResponse.json()).toMatchObject({ error: { violations: [{ field: "events" }] } });
    expect((await post("[]", {}, "")).status).toBe(401);
    const readOnly = await warehouse.createKey("acme", ["analytics:read"]);
    expect((await post(JSON.stringify([click("ro")]), {}, readOnly)).status).toBe(403);
  });

  it("keeps each organization's events its own", async () => {
    await post(JSON.stringify([click("globex-1")]), {}, warehouse.keys.globex);
    expect(await storedCount("globex", "event_id = 'globex-1'")).toBe(1);
    expect(await storedCount("acme", "event_id = 'globex-1'")).toBe(0);
  });

  it("makes new data visible to the next query, past the cache", async () => {
    const path = `/api/v1/analytics/traffic?start_date=2020-01-01&end_date=2030-12-31&group_by=month`;
    const read = async () =>
      (await (
        await fetch(`${warehouse.url}${path}`, { headers: { authorization: `Bearer ${warehouse.keys.globex}` } })
      ).json()) as {
        totals: { events: string };
      };
    const before = Number((await read()).totals.events);
    expect(Number((await read()).totals.events)).toBe(before);
    await post(JSON.stringify([click("fresh-1"), click("fresh-2")]), {}, warehouse.keys.globex);
    expect(Number((await read()).totals.events)).toBe(before + 2);
  });
});

describe("IngestService over gRPC", () => {
  const client = () => createClient(IngestService, createGrpcTransport({ baseUrl: warehouse.url }));
  const event = (id: string) =>
    create(EventSchema, {
      eventId: id,
      type: EventType.PAGEVIEW,
      time: timestampFromDate(new Date(Date.now() - 1000)),
      url: "https://shop.example/p",
    });

  it("takes a unary batch and a client stream of batches", async () => {
    const headers = { authorization: `Bearer ${warehouse.keys.globex}` };
    const unary = await client().ingestEvents(
      { batchId: "g-unary", events: [event("g-1"), event("g-2")] },
      { headers },
    );
    expect(unary.accepted).toBe(2);
    async function* batches() {
      for (let b = 0; b < 3; b++) {
        yield create(StreamEventsRequestSchema, {
          batchId: `g-stream-${b}`,
          events: [event(`gs-${b}-a`), event(`gs-${b}-b`)],
        });
      }
    }
    const streamed = await client().streamEvents(batches(), { headers });
    expect(streamed.batches).toBe(3);
    expect(streamed.accepted).toBe(6);
    expect(await storedCount("globex", "startsWith(batch_id, 'g-stream-')")).toBe(6);
  });

  it("stores and refuses a mixed batch as the REST API does, over gRPC, Connect and gRPC-Web binary and Connect JSON", async () => {
    const headers = { authorization: `Bearer ${warehouse.keys.acme}` };
    const mixed = (prefix: string) => [
      fromJson(EventSchema, click(`${prefix}-1`) as JsonValue),
      fromJson(EventSchema, { ...click(`${prefix}-2`), ip: "300.1.1.1" } as JsonValue),
      create(EventSchema, { eventId: `${prefix}-3`, type: EventType.CLICK, url: "https://shop.example/" }),
      create(EventSchema, {
        eventId: `${prefix}-4`,
        type: EventType.PAGEVIEW,
        url: "https://shop.example/p",
        time: timestampFromDate(new Date("1970-01-01T00:00:01Z")),
      }),
      fromJson(
        EventSchema,
        click(`${prefix}-5`, { type: "EVENT_TYPE_CONVERSION", conversion_name: "buy" }) as JsonValue,
      ),
    ];
    const transports = {
      grpc: createGrpcTransport({ baseUrl: warehouse.url }),
      connect: createConnectTransport({ baseUrl: warehouse.url, httpVersion: "2" }),
      "grpc-web": createGrpcWebTransport({ baseUrl: warehouse.url, httpVersion: "1.1" }),
      "connect-json": createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1", useBinaryFormat: false }),
    };
    for (const [name, transport] of Object.entries(transports)) {
      const answer = await createClient(IngestService, transport).ingestEvents(
        { batchId: `mixed-${name}`, events: mixed(`m-${name}`) },
        { headers },
      );
      expect(answer.acceptedEventIds, name).toEqual([`m-${name}-1`, `m-${name}-3`, `m-${name}-5`]);
      expect(
        answer.rejected.map((r) => [r.index, r.field, r.reason]),
        name,
      ).toEqual([
        [1, "events[1].ip", "must be an IPv4 or IPv6 address"],
        [3, "events[3].time", "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z"],
      ]);
      expect(await storedCount("acme", `batch_id = 'mixed-${name}'`), name).toBe(3);
    }
    const rest = (await (
      await post(
        JSON.stringify(
          mixed("m-rest")
            .map((e) => toJson(EventSchema, e))
            .slice(0, 3),
        ),
      )
    ).json()) as {
      rejected: Array<{ field: string; reason: string }>;
    };
    expect(rest.rejected).toEqual([{ index: 1, field: "events[1].ip", reason: "must be an IPv4 or IPv6 address" }]);

    async function* batches() {
      yield create(StreamEventsRequestSchema, { batchId: "mixed-stream-0", events: mixed("ms-0").slice(0, 2) });
      yield create(StreamEventsRequestSchema, { batchId: "mixed-stream-1", events: mixed("ms-1").slice(2, 4) });
    }
    const streamed = await client().streamEvents(batches(), { headers });
    expect(streamed.accepted).toBe(2);
    expect(streamed.rejected.map((r) => [r.index, r.field])).toEqual([
      [1, "batches[0].events[1].ip"],
      [1, "batches[1].events[1].time"],
    ]);
  });

  it("needs the write scope", async () => {
    const readOnly = await warehouse.createKey("globex", ["analytics:read"]);
    const error = await client()
      .ingestEvents({ events: [event("denied")] }, { headers: { authorization: `Bearer ${readOnly}` } })
      .catch((e: unknown) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.PermissionDenied);
  });
});
