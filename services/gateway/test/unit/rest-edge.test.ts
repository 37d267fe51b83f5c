import { describe, expect, it } from "vitest";
import { IncomingHeaders } from "../../src/rest/headers.js";
import { pathAndQueryOf } from "../../src/rest/target.js";

describe("the REST edge's request target", () => {
  it("reads path and query string as URL does, whether it parses one or not", () => {
    const targets = [
      "/api/v1/analytics/traffic",
      "/api/v1/analytics/traffic?",
      "/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-02-01&group_by=day",
      "/api/v1/campaigns/spring%20sale",
      "/api/v1/./analytics/../analytics/traffic?x=1",
      "//evil.example/api/v1/analytics/traffic",
      "/api/v1/analytics/traffic?q=a b&r=\"<>'",
      "/api/v1/analytics/traffic?q=é",
      "/api\\v1\\analytics",
      "/api/v1/analytics/traffic?a=1#fragment",
      "/api/v1/analytics/traffic?a=%zz&b=[1]{2}|~`^",
    ];
    for (const target of targets) {
      const url = new URL(target, "http://gateway");
      expect(pathAndQueryOf(target), target).toEqual([url.pathname, url.search]);
    }
  });
});

describe("the REST edge's request headers", () => {
  const incoming = {
    authorization: "  Bearer trk_a_b\t",
    "cache-control": "max-age=0",
    "x-api-key": ["one", "two"],
    cookie: "session=secret",
  };

  it("shows only the passed headers, as a Headers reports them", () => {
    const headers = new IncomingHeaders(incoming, ["authorization", "x-api-key", "cache-control", "idempotency-key"]);
    const expected = new Headers();
    expected.set("authorization", "Bearer trk_a_b");
    expected.set("cache-control", "max-age=0");
    expected.set("x-api-key", "one, two");
    expect(headers.get("Authorization")).toBe(expected.get("authorization"));
    expect(headers.get("x-api-key")).toBe("one, two");
    expect(headers.get("cookie")).toBeNull();
    expect(headers.has("idempotency-key")).toBe(false);
    expect([...headers]).toEqual([...expected]);
    expect([...headers.keys()]).toEqual([...expected.keys()]);
  });

  it("is copied into a Headers when changed, and reads as that copy from then on", () => {
    const headers = new IncomingHeaders(incoming, ["authorization", "cache-control"]);
    headers.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    headers.delete("cache-control");
    expect(headers.get("authorization")).toBe("Bearer trk_a_b");
    expect(headers.get("cache-control")).toBeNull();
    expect(headers.get("traceparent")).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(incoming["cache-control"]).toBe("max-age=0");
  });
});
