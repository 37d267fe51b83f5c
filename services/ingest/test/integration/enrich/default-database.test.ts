import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnricher, type Enricher } from "../../../src/enrich/index.js";
import { pageviewFrom } from "./geo-events.js";

describe("the shipped geo database (DB-IP City Lite)", () => {
  let enricher: Enricher;

  beforeAll(async () => {
    enricher = await createEnricher({ ipHashKey: "default-database-test-key-0123456789" });
  });
  afterAll(() => enricher.close());

  it.each([
    ["8.8.8.8", "US"],
    ["1.1.1.1", "AU"],
    ["193.0.6.139", "NL"],
    ["::ffff:193.0.6.139", "NL"],
    ["2001:67c:2e8:22::c100:68b", "NL"],
  ])("places %s in %s, with a region and a city", (ip, country) => {
    const { geo } = enricher.enrich(pageviewFrom(ip), "org");
    expect(geo.country).toBe(country);
    expect(geo.region).not.toBe("");
    expect(geo.city).not.toBe("");
    expect(geo.asn).toBe(0);
  });

  it.each(["10.0.0.1", "127.0.0.1", "192.0.2.1", "::1", "2001:db8::1"])("has no place for %s", (ip) => {
    expect(enricher.enrich(pageviewFrom(ip), "org").geo.country).toBe("");
  });
});
