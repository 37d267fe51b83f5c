import type { EventRow, EventType } from "@trellis/store/events";

export type { EventType };

export interface RawEventInput {
  type: EventType;
  /** Event time, as reported by the client. */
  time: Date;
  /** When the server received the event. */
  receivedAt: Date;
  /** Landing or page URL; "" is allowed for custom and conversion events. */
  url: string;
  /** "" when none. */
  referrer: string;
  /** "" when none. */
  userAgent: string;
  /** Textual IPv4 or IPv6, "" when unknown. */
  ip: string;
  /** Explicit click id from the client, "" when none. */
  clickId: string;
  /** Lower-case header names to values (accept-language, sec-ch-ua, dnt, …). */
  headers: Record<string, string>;
  sessionId: string;
  visitorId: string;
}

export type ReferrerClass = "search" | "social" | "email" | "paid" | "internal" | "direct" | "other";

export type Channel =
  | "paid_search"
  | "organic_search"
  | "paid_social"
  | "organic_social"
  | "email"
  | "referral"
  | "direct"
  | "display"
  | "affiliate"
  | "internal"
  | "other";

export type DeviceType = "desktop" | "mobile" | "tablet" | "smarttv" | "console" | "wearable" | "bot" | "other";

export type FraudFlag =
  | "crawler_ua"
  | "empty_user_agent"
  | "datacenter_network"
  | "ip_velocity"
  | "missing_headers"
  | "inconsistent_headers"
  | "impossible_timing";

export interface GeoFacts {
  /** ISO 3166-1 alpha-2 country code. */
  country: string;
  /**
   * First subdivision: its ISO 3166-2 code (without the country prefix) from a GeoIP2/GeoLite2 database,
   * its name from the shipped DB-IP database, which has no codes.
   */
  region: string;
  /** English city name. */
  city: string;
  /** IANA time zone; the shipped DB-IP database has none. */
  timezone: string;
  /** Autonomous system number, 0 when unknown. */
  asn: EventRow["asn"];
  asOrganization: string;
}

export interface DeviceFacts {
  deviceType: DeviceType;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
}

export interface AttributionFacts {
  source: string;
  medium: string;
  campaign: string;
  term: string;
  content: string;
  clickId: string;
  /** The URL parameter the click id came from ("gclid", "fbclid", …); "" for an explicit id not found in the URL. */
  clickIdType: string;
  channel: Channel;
  referrerClass: ReferrerClass;
  referrerHost: string;
  referrerPath: string;
  landingHost: string;
  landingPath: string;
  /** Every query parameter of the URL, first value per name, decoded but otherwise untouched. */
  queryParams: Record<string, string>;
}

export interface BotFacts {
  isBot: boolean;
  botName: string;
}

export interface FraudFacts {
  /** 0..100. */
  score: EventRow["fraud_score"];
  flags: FraudFlag[];
}

export interface IpFacts {
  /** IPv6 text; IPv4 as ::ffff:a.b.c.0, IPv6 with its last 80 bits zeroed; "" when no IP. */
  anonymized: EventRow["ip_anonymized"];
  /** First 8 bytes of HMAC-SHA256 of the full address, as an unsigned 64-bit decimal; "0" when no IP. */
  hash: EventRow["ip_hash"];
}

/** What enrichment adds to an event. Its geo, device, bot and ip facts are shared between events: read them, never change them. */
export interface Enrichment {
  geo: Readonly<GeoFacts>;
  device: Readonly<DeviceFacts>;
  attribution: AttributionFacts;
  bot: Readonly<BotFacts>;
  fraud: FraudFacts;
  /** 0..100. */
  qualityScore: EventRow["quality_score"];
  ip: Readonly<IpFacts>;
}

export interface VelocityOptions {
  windowSeconds: number;
  maxEventsPerIp: number;
  /** Bound on the number of IPs tracked at once; the least recently seen are forgotten first. */
  maxEntries: number;
}

export interface EnricherOptions {
  /** Path of a city mmdb (MaxMind GeoIP2/GeoLite2 City format); defaults to the shipped DB-IP City Lite database. */
  cityDatabasePath?: string;
  /** Path of an ASN mmdb (GeoLite2-ASN format); without it ASN lookups are skipped. */
  asnDatabasePath?: string;
  /** Secret key for the IP hash (at least 32 characters). */
  ipHashKey: string;
  /** Internal hosts of the organization; a referrer on one of them, or on a subdomain, is "internal". */
  internalHosts?: readonly string[];
  /** Per-IP velocity limits, counted in this process only. */
  velocity?: VelocityOptions;
  /** Bound on the number of distinct user agents whose parse is cached. */
  userAgentCacheSize?: number;
}

export interface Enricher {
  /** Synchronous: it is on the ingest hot path. */
  enrich(event: RawEventInput, organizationId: string): Enrichment;
  /**
   * Works out what each of a batch's addresses tells (keyed hash, anonymised form, place,
   * network) in one run, before its events are enriched one by one: `enrich` then finds them
   * cached. Done together, the new addresses of a batch cost less than each amid the rest of
   * its event's work (the address databases and the digests stay warm in the processor's
   * caches). Text that is not an address is passed over.
   */
  resolveAddresses(addresses: readonly string[]): void;
  close(): Promise<void>;
}
