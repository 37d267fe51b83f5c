import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnricher, type Enricher } from "../../../src/enrich/index.js";
import { pageviewFrom } from "./geo-events.js";
import { sourceNetworks, testDatabase } from "./maxmind-fixtures.js";

interface CitySource {
  country?: { iso_code: string };
  subdivisions?: { iso_code: string }[];
  city?: { names: { en?: string } };
  location?: { time_zone?: string };
}

interface AsnSource {
  autonomous_system_number: number;
  autonomous_system_organization?: string;
}

const IP_HASH_KEY = "integration-test-key-0123456789abcdef";

describe.each(["GeoIP2-City-Test", "GeoLite2-City-Test"])("every network of %s", (name) => {
  let enricher: Enricher;
  const networks = sourceNetworks<CitySource>(name);
  const located = networks.filter((n) => n.record.country !== undefined);

  beforeAll(async () => {
    enricher = await createEnricher({ ipHashKey: IP_HASH_KEY, cityDatabasePath: testDatabase(name) });
  });
  afterAll(() => enricher.close());

  it("has networks with a country, subdivisions and cities to check", () => {
    expect(located.length).toBeGreaterThan(200);
    expect(located.filter((n) => n.record.subdivisions !== undefined).length).toBeGreaterThan(10);
    expect(located.filter((n) => n.record.city !== undefined).length).toBeGreaterThan(10);
    expect(located.filter((n) => n.addresses[0].includes(".")).length).toBeGreaterThan(10);
  });

  it("resolves the first and last address of each to the country, region, city and time zone of the source", () => {
    const mismatches: string[] = [];
    for (const { network, addresses, record } of located) {
      const expected = {
        country: record.country?.iso_code,
        region: record.subdivisions?.[0]?.iso_code ?? "",
        city: record.city?.names.en ?? "",
        timezone: record.location?.time_zone ?? "",
      };
      for (const ip of addresses) {
        const { country, region, city, timezone } = enricher.enrich(pageviewFrom(ip), "org").geo;
        const actual = { country, region, city, timezone };
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          mismatches.push(`${network} (${ip}): ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("resolves networks without a country to no country", () => {
    for (const { addresses } of networks.filter((n) => n.record.country === undefined)) {
      expect(enricher.enrich(pageviewFrom(addresses[0]), "org").geo.country).toBe("");
    }
  });
});

describe("every network of GeoLite2-ASN-Test", () => {
  let enricher: Enricher;
  const networks = sourceNetworks<AsnSource>("GeoLite2-ASN-Test");

  beforeAll(async () => {
    enricher = await createEnricher({
      ipHashKey: IP_HASH_KEY,
      cityDatabasePath: testDatabase("GeoLite2-City-Test"),
      asnDatabasePath: testDatabase("GeoLite2-ASN-Test"),
    });
  });
  afterAll(() => enricher.close());

  it("has IPv4 and IPv6 networks to check", () => {
    expect(networks.length).toBeGreaterThan(700);
    expect(networks.filter((n) => n.addresses[0].includes(":")).length).toBeGreaterThan(200);
  });

  it("resolves the first and last address of each to the AS number and organisation of the source", () => {
    const mismatches: string[] = [];
    for (const { network, addresses, record } of networks) {
      for (const ip of addresses) {
        const { asn, asOrganization } = enricher.enrich(pageviewFrom(ip), "org").geo;
        if (
          asn !== record.autonomous_system_number ||
          asOrganization !== (record.autonomous_system_organization ?? "")
        ) {
          mismatches.push(`${network} (${ip}): ${asn} ${asOrganization}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
