import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEnricher,
  type Enricher,
  type EnricherOptions,
  FRAUD_WEIGHTS,
  type FraudFlag,
  type RawEventInput,
} from "../../../src/enrich/index.js";
import { UA } from "../../unit/enrich/user-agents.js";
import { testDatabase } from "./maxmind-fixtures.js";

const IP_HASH_KEY = "integration-test-key-0123456789abcdef";
const receivedAt = new Date("2026-06-01T12:00:00.000Z");
/** London in GeoIP2-City-Test, outside every network of GeoLite2-ASN-Test. */
const LONDON_IP = "81.2.69.142";
/** Akamai Technologies (AS35994) in GeoLite2-ASN-Test. */
const AKAMAI_IP = "23.32.0.1";

const options: EnricherOptions = {
  ipHashKey: IP_HASH_KEY,
  cityDatabasePath: testDatabase("GeoIP2-City-Test"),
  asnDatabasePath: testDatabase("GeoLite2-ASN-Test"),
  internalHosts: ["shop.example"],
  velocity: { windowSeconds: 60, maxEventsPerIp: 1_000, maxEntries: 1_000 },
};
const strict: EnricherOptions = { ...options, velocity: { windowSeconds: 60, maxEventsPerIp: 3, maxEntries: 1_000 } };

let ipCounter = 0;

/** A clean page view from a Chrome browser on Windows, from London, in a session of its own. */
function pageview(overrides: Partial<RawEventInput> = {}): RawEventInput {
  ipCounter += 1;
  return {
    type: "pageview",
    time: new Date(receivedAt.getTime() - 2_000),
    receivedAt,
    url: "https://shop.example/products/42?utm_source=newsletter&utm_medium=email&utm_campaign=june",
    referrer: "https://mail.google.com/",
    userAgent: UA.chromeWindows,
    ip: `81.2.69.${144 + (ipCounter % 16)}`,
    clickId: "",
    headers: {
      "accept-language": "en-GB,en;q=0.9",
      "sec-ch-ua": '"Chromium";v="120", "Google Chrome";v="120"',
      "sec-ch-ua-mobile": "?0",
      "sec-ch-ua-platform": '"Windows"',
    },
    sessionId: `session-${ipCounter}`,
    visitorId: "visitor-1",
    ...overrides,
  };
}

let enricher: Enricher;

beforeAll(async () => {
  enricher = await createEnricher(options);
});
afterAll(() => enricher?.close());

describe("enrich", () => {
  it("derives every fact of a clean event", () => {
    const result = enricher.enrich(pageview({ ip: LONDON_IP, sessionId: "s" }), "org-1");
    expect(result).toEqual({
      geo: { country: "GB", region: "ENG", city: "London", timezone: "Europe/London", asn: 0, asOrganization: "" },
      device: { deviceType: "desktop", browser: "Chrome", browserVersion: "120.0.0.0", os: "Windows", osVersion: "10" },
      attribution: {
        source: "newsletter",
        medium: "email",
        campaign: "june",
        term: "",
        content: "",
        clickId: "",
        clickIdType: "",
        channel: "email",
        referrerClass: "email",
        referrerHost: "mail.google.com",
        referrerPath: "/",
        landingHost: "shop.example",
        landingPath: "/products/42",
        queryParams: { utm_source: "newsletter", utm_medium: "email", utm_campaign: "june" },
      },
      bot: { isBot: false, botName: "" },
      fraud: { score: 0, flags: [] },
      qualityScore: 100,
      ip: { anonymized: "::ffff:81.2.69.0", hash: expect.stringMatching(/^\d+$/) },
    });
  });

  it("never returns the raw address", () => {
    const result = enricher.enrich(pageview({ ip: LONDON_IP }), "org-1");
    expect(JSON.stringify(result)).not.toContain(LONDON_IP);
  });

  it("anonymises and hashes IPv6 addresses, and hashes alike in every enricher with the same key", async () => {
    const ip = "2001:480:10:1:2:3:4:5";
    const result = enricher.enrich(pageview({ ip }), "org-1");
    expect(result.ip.anonymized).toBe("2001:480:10::");
    expect(result.geo).toMatchObject({ country: "US", region: "CA", city: "San Diego" });
    const other = await createEnricher(options);
    expect(other.enrich(pageview({ ip }), "org-2").ip.hash).toBe(result.ip.hash);
    await other.close();
    const rekeyed = await createEnricher({ ...options, ipHashKey: `${IP_HASH_KEY}-rotated` });
    expect(rekeyed.enrich(pageview({ ip }), "org-1").ip.hash).not.toBe(result.ip.hash);
    await rekeyed.close();
  });

  it("reports no address as an empty anonymised form and hash 0", () => {
    const result = enricher.enrich(pageview({ ip: "" }), "org-1");
    expect(result.ip).toEqual({ anonymized: "", hash: "0" });
    expect(result.geo).toEqual({ country: "", region: "", city: "", timezone: "", asn: 0, asOrganization: "" });
    expect(result.qualityScore).toBe(90);
  });

  it("shares its address and user-agent facts frozen: no caller can change what the next event gets", () => {
    const event = pageview({ ip: LONDON_IP });
    const first = enricher.enrich(event, "org-1");
    const writable = first as unknown as Record<string, Record<string, unknown>>;
    for (const [facts, field] of [
      ["geo", "city"],
      ["device", "browser"],
      ["bot", "botName"],
      ["ip", "hash"],
    ] as const) {
      expect(() => {
        (writable[facts] as Record<string, unknown>)[field] = "changed";
      }, `${facts}.${field}`).toThrow(TypeError);
    }
    expect(Object.keys(first.ip)).toEqual(["anonymized", "hash"]);
    const second = enricher.enrich({ ...event, sessionId: "other" }, "org-1");
    expect(second.geo.city).toBe("London");
    expect(second.device.browser).toBe("Chrome");
    expect(second.bot.botName).toBe("");
  });
});

describe("resolveAddresses", () => {
  it("changes no enrichment, counts nothing, and passes over text that is not an address", async () => {
    const addresses = [LONDON_IP, AKAMAI_IP, "2001:db8::1", "::ffff:81.2.69.160", "not-an-address", ""];
    const events = addresses.map((ip, i) => pageview({ ip, sessionId: `resolved-${i}` }));
    const plain = await createEnricher(strict);
    const resolved = await createEnricher(strict);
    // Resolved four times over: velocity (3 events a minute in `strict`) must not count any of it.
    for (let round = 0; round < 4; round++) resolved.resolveAddresses(addresses);
    expect(events.map((event) => resolved.enrich(event, "org-1"))).toEqual(
      events.map((event) => plain.enrich(event, "org-1")),
    );
    await Promise.all([plain.close(), resolved.close()]);
    expect(() => resolved.resolveAddresses([LONDON_IP])).toThrow("closed");
  });
});

describe("fraud flags, each alone", () => {
  let strictEnricher: Enricher;
  beforeAll(async () => {
    strictEnricher = await createEnricher(strict);
  });
  afterAll(() => strictEnricher.close());

  const cases: Array<[FraudFlag, () => RawEventInput[]]> = [
    ["crawler_ua", () => [pageview({ userAgent: UA.googlebot, headers: {} })]],
    ["empty_user_agent", () => [pageview({ userAgent: "", headers: {} })]],
    ["datacenter_network", () => [pageview({ ip: AKAMAI_IP })]],
    ["ip_velocity", () => Array.from({ length: 4 }, () => pageview({ ip: "81.2.69.160" }))],
    ["missing_headers", () => [pageview({ headers: { ...pageview().headers, "accept-language": "" } })]],
    ["inconsistent_headers", () => [pageview({ headers: { ...pageview().headers, "sec-ch-ua-mobile": "?1" } })]],
    ["impossible_timing", () => [pageview({ time: new Date(receivedAt.getTime() + 10 * 60_000) })]],
  ];

  it.each(cases)("%s adds its weight", (flag, events) => {
    const all = events();
    const results = all.map((event) => strictEnricher.enrich(event, "org-1"));
    const last = results.at(-1);
    for (const earlier of results.slice(0, -1)) expect(earlier.fraud).toEqual({ score: 0, flags: [] });
    expect(last?.fraud).toEqual({ score: FRAUD_WEIGHTS[flag], flags: [flag] });
  });

  it("counts velocity per address within the window only", async () => {
    const own = await createEnricher(strict);
    const at = (seconds: number, ip = "81.2.69.161") =>
      own.enrich(pageview({ ip, receivedAt: new Date(receivedAt.getTime() + seconds * 1000) }), "org-1").fraud.flags;
    expect([at(0), at(1), at(2)]).toEqual([[], [], []]);
    expect(at(3)).toEqual(["ip_velocity"]);
    expect(at(3, "81.2.69.162")).toEqual([]);
    expect(at(200)).toEqual([]);
    await own.close();
  });

  it("flags a burst of clicks in one session as impossible timing", () => {
    const time = new Date(receivedAt.getTime() - 5_000);
    const flags = Array.from(
      { length: 6 },
      (_, i) =>
        enricher.enrich(pageview({ type: "click", time, sessionId: "burst", ip: `81.2.69.${192 + i}` }), "org-1").fraud
          .flags,
    );
    expect(flags).toEqual([[], [], [], [], [], ["impossible_timing"]]);
  });

  it("adds up several flags and caps the score at 100", () => {
    const flags = Array.from({ length: 4 }, () =>
      strictEnricher.enrich(
        pageview({
          userAgent: UA.googlebot,
          headers: {},
          ip: "23.32.0.2",
          time: new Date(receivedAt.getTime() + 10 * 60_000),
        }),
        "org-1",
      ),
    ).map((result) => result.fraud);
    expect(flags[0]).toEqual({ score: 95, flags: ["crawler_ua", "datacenter_network", "impossible_timing"] });
    expect(flags[3]).toEqual({
      score: 100,
      flags: ["crawler_ua", "datacenter_network", "ip_velocity", "impossible_timing"],
    });
  });
});

describe("quality score", () => {
  it("is 100 less half the fraud score and the documented penalties", () => {
    expect(enricher.enrich(pageview({ headers: {} }), "org-1").qualityScore).toBe(100 - 7);
    const bot = enricher.enrich(pageview({ userAgent: UA.googlebot, headers: {} }), "org-1");
    expect(bot.qualityScore).toBe(100 - 20 - 30);
    const curl = enricher.enrich(pageview({ userAgent: UA.curl, headers: {} }), "org-1");
    expect(curl).toMatchObject({ bot: { isBot: true, botName: "curl" }, device: { deviceType: "bot" } });
    expect(curl.qualityScore).toBe(100 - 20 - 30);
  });

  it("penalises a click that nothing attributes", () => {
    const click = pageview({ type: "click", url: "https://shop.example/p", referrer: "" });
    const result = enricher.enrich(click, "org-1");
    expect(result.attribution.channel).toBe("direct");
    expect(result.qualityScore).toBe(85);
    expect(enricher.enrich({ ...click, clickId: "trk-1", sessionId: "x" }, "org-1").qualityScore).toBe(100);
  });

  it("penalises an address outside the geo database", () => {
    expect(enricher.enrich(pageview({ ip: "192.0.2.1" }), "org-1").qualityScore).toBe(95);
  });
});

describe("createEnricher", () => {
  it("rejects a short hash key and bad velocity settings, naming each", async () => {
    await expect(
      createEnricher({
        ...options,
        ipHashKey: "short",
        velocity: { windowSeconds: 0, maxEventsPerIp: 1.5, maxEntries: 1 },
      }),
    ).rejects.toThrow(
      "ipHashKey: expected at least 32 characters; velocity.windowSeconds: expected a positive integer, got 0; velocity.maxEventsPerIp: expected a positive integer, got 1.5",
    );
  });

  it("rejects a database that is missing or of the wrong kind", async () => {
    await expect(createEnricher({ ...options, cityDatabasePath: "/nonexistent/city.mmdb" })).rejects.toThrow(
      "cannot open the mmdb database /nonexistent/city.mmdb",
    );
    await expect(createEnricher({ ...options, asnDatabasePath: testDatabase("GeoIP2-City-Test") })).rejects.toThrow(
      /is a GeoIP2-City database, expected one matching/,
    );
  });

  it("refuses to enrich once closed", async () => {
    const own = await createEnricher(options);
    await own.close();
    expect(() => own.enrich(pageview(), "org-1")).toThrow("the enricher is closed");
  });
});
