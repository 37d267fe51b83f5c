import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AnalyticsService, AnswerSource, GetTrafficRequestSchema, Granularity } from "@trellis/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyTraffic, expectedDaily } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

const ACME = "acme";
const GLOBEX = "globex";

let warehouse: TestWarehouse;
const acmeTraffic = dailyTraffic(ACME, "2026-03-01", 5, 20);
const globexTraffic = dailyTraffic(GLOBEX, "2026-03-01", 5, 50);

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: [ACME, GLOBEX] });
  await warehouse.insertEvents([...acmeTraffic, ...globexTraffic]);
});

afterAll(async () => {
  await warehouse?.close();
});

function rest(path: string, init: { key?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  return fetch(`${warehouse.url}${path}`, { headers });
}

const trafficPath = "/api/v1/analytics/traffic?start_date=2026-03-01&end_date=2026-03-31&group_by=day";

describe("traffic over REST", () => {
  it("answers the caller's organization only, per day, with totals", async () => {
    const response = await rest(trafficPath, { key: warehouse.keys[ACME] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      points: Array<{
        bucket: string;
        events: string;
        clicks: string;
        pageviews: string;
        conversions: string;
        revenue: number;
      }>;
      totals: { events: string; visitors: string };
    };
    const expected = expectedDaily(acmeTraffic);
    expect(body.points.map((p) => p.bucket)).toEqual([...expected.keys()]);
    for (const point of body.points) {
      const want = expected.get(point.bucket);
      expect({
        events: Number(point.events),
        clicks: Number(point.clicks),
        pageviews: Number(point.pageviews),
        conversions: Number(point.conversions),
        revenue: point.revenue,
      }).toEqual(want);
    }
    expect(Number(body.totals.events)).toBe(acmeTraffic.length);
    expect(Number(body.totals.visitors)).toBe(7);
  });

  it("serves a repeated question from the cache and says so", async () => {
    const first = await (await rest(`${trafficPath}&time_zone=Europe/Paris`, { key: warehouse.keys[GLOBEX] })).json();
    // max-age=0: an answer checked against current versions, so past the gateway's hot window.
    const second = await (
      await rest(`${trafficPath}&time_zone=Europe/Paris`, {
        key: warehouse.keys[GLOBEX],
        headers: { "cache-control": "max-age=0" },
      })
    ).json();
    expect((first as { meta: { source: string } }).meta.source).toBe("ANSWER_SOURCE_STORE");
    expect((second as { meta: { source: string } }).meta.source).toBe("ANSWER_SOURCE_CACHE_L1");
    expect((second as { points: unknown }).points).toEqual((first as { points: unknown }).points);
    const bypass = await (
      await rest(`${trafficPath}&time_zone=Europe/Paris`, {
        key: warehouse.keys[GLOBEX],
        headers: { "cache-control": "no-store" },
      })
    ).json();
    expect((bypass as { meta: { source: string } }).meta.source).toBe("ANSWER_SOURCE_STORE");
  });

  it("never takes the organization from the query string or a header", async () => {
    const viaQuery = await rest(`${trafficPath}&organization_id=${GLOBEX}`, { key: warehouse.keys[ACME] });
    expect(viaQuery.status).toBe(400);
    expect(await viaQuery.json()).toMatchObject({
      error: { code: "invalid_argument", violations: [{ field: "organization_id" }] },
    });

    for (const header of ["x-organization-id", "organization-id", "trellis-organization-id"]) {
      const response = await rest(trafficPath, { key: warehouse.keys[ACME], headers: { [header]: GLOBEX } });
      const body = (await response.json()) as { totals: { events: string } };
      expect(Number(body.totals.events)).toBe(acmeTraffic.length);
    }
  });

  it("rejects missing, unknown and under-scoped credentials", async () => {
    expect((await rest(trafficPath)).status).toBe(401);
    expect((await rest(trafficPath, { key: "trk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" })).status).toBe(
      401,
    );
    const writeOnly = await warehouse.createKey(ACME, ["events:write"]);
    const denied = await rest(trafficPath, { key: writeOnly });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: { code: "permission_denied" } });
  });

  it("explains bad parameters with the field and the reason", async () => {
    const cases: Array<[string, string]> = [
      ["/api/v1/analytics/traffic?end_date=2026-03-31", "start_date"],
      ["/api/v1/analytics/traffic?start_date=2026-02-30&end_date=2026-03-31", "range.start_date"],
      ["/api/v1/analytics/traffic?start_date=2026-03-31&end_date=2026-03-01", "range.end_date"],
      ["/api/v1/analytics/traffic?start_date=2026-03-01&end_date=2026-03-31&group_by=fortnight", "group_by"],
      ["/api/v1/analytics/traffic?start_date=2026-03-01&end_date=2026-03-31&time_zone=Mars/Olympus", "range.time_zone"],
      ["/api/v1/analytics/traffic?start_date=2026-03-01&end_date=2026-03-31&dimensions=shoe_size", "dimensions[0]"],
      ["/api/v1/analytics/traffic?start_date=2020-01-01&end_date=2026-03-31&group_by=minute", "group_by"],
    ];
    for (const [path, field] of cases) {
      const response = await rest(path, { key: warehouse.keys[ACME] });
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as { error: { violations: Array<{ field: string; reason: string }> } };
      expect(body.error.violations[0]?.field, path).toBe(field);
      expect(body.error.violations[0]?.reason.length, path).toBeGreaterThan(3);
    }
    expect((await rest("/api/v1/analytics/nothing", { key: warehouse.keys[ACME] })).status).toBe(404);
  });

  it("breaks traffic down by a dimension", async () => {
    const response = await rest(`${trafficPath}&dimensions=source`, { key: warehouse.keys[ACME] });
    const body = (await response.json()) as { points: Array<{ dimensions: Record<string, string>; events: string }> };
    const sources = new Set(body.points.map((p) => p.dimensions.source));
    expect(sources).toEqual(new Set(["google", "newsletter"]));
    expect(body.points.reduce((sum, p) => sum + Number(p.events), 0)).toBe(acmeTraffic.length);
  });
});

describe("traffic over RPC", () => {
  const request = create(GetTrafficRequestSchema, {
    range: { startDate: "2026-03-01", endDate: "2026-03-31" },
    groupBy: Granularity.MONTH,
  });

  it("answers over the Connect protocol (HTTP/1.1) and gRPC (HTTP/2) alike", async () => {
    const headers = { authorization: `Bearer ${warehouse.keys[GLOBEX]}` };
    const connect = createClient(
      AnalyticsService,
      createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1" }),
    );
    const grpc = createClient(AnalyticsService, createGrpcTransport({ baseUrl: warehouse.url }));
    const viaConnect = await connect.getTraffic(request, { headers });
    const viaGrpc = await grpc.getTraffic(request, { headers });
    expect(viaConnect.points).toHaveLength(1);
    expect(viaConnect.points[0]?.bucket).toBe("2026-03-01");
    expect(viaConnect.totals?.events).toBe(BigInt(globexTraffic.length));
    expect(viaGrpc.totals?.events).toBe(BigInt(globexTraffic.length));
    expect([AnswerSource.STORE, AnswerSource.CACHE_L1]).toContain(viaGrpc.meta?.source);
  });

  it("refuses calls without a credential with UNAUTHENTICATED", async () => {
    const grpc = createClient(AnalyticsService, createGrpcTransport({ baseUrl: warehouse.url }));
    const error = await grpc.getTraffic(request).catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("ignores an organization smuggled into the JSON body", async () => {
    const response = await fetch(`${warehouse.url}/trellis.warehouse.v1.AnalyticsService/GetTraffic`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${warehouse.keys[ACME]}` },
      body: JSON.stringify({ range: { startDate: "2026-03-01", endDate: "2026-03-31" }, organizationId: GLOBEX }),
    });
    // Connect ignores unknown JSON fields; the answer is still the caller's own organization.
    expect(response.status).toBe(200);
    const body = (await response.json()) as { totals: { events: string } };
    expect(Number(body.totals.events)).toBe(acmeTraffic.length);
  });
});
