import { type EventRow, eventColumns } from "@trellis/store";
import { describe, expect, it } from "vitest";
import { readNativeRows } from "../../../../test/helpers/native-rows.js";
import { createRowBlockBuilder, type RowContext, type RowSource } from "../../src/domain/rows.js";
import type { ValidEvent } from "../../src/domain/validate.js";
import type { Enrichment } from "../../src/enrich/index.js";

const context: RowContext = {
  organizationId: "acme",
  retentionDays: 30,
  ingestedAtMs: Date.parse("2026-05-01T10:00:05.000Z"),
};

/** The rows of the events as the block ingest writes holds them. */
function encode(...sources: RowSource[]): Array<Record<string, unknown>> {
  const builder = createRowBlockBuilder();
  for (const source of sources) builder.append(source);
  builder.fillColumn("batch_id", "batch-1");
  return readNativeRows(builder.finish());
}

const conversion: ValidEvent = {
  index: 0,
  eventId: "e1",
  clientEventId: true,
  type: "conversion",
  name: "",
  time: new Date("2026-05-01T10:00:00.123Z"),
  url: "https://shop.example/thanks?utm_source=google",
  referrer: "https://www.google.com/",
  userAgent: "Mozilla/5.0",
  ip: "203.0.113.7",
  clickId: "",
  sessionId: "s1",
  visitorId: "v1",
  conversionName: "purchase",
  value: 12.5,
  currency: "EUR",
  properties: { plan: "pro" },
  headers: { "accept-language": "fr" },
};

const enrichment: Enrichment = {
  geo: { country: "FR", region: "IDF", city: "Paris", timezone: "", asn: 3215, asOrganization: "Orange" },
  device: { deviceType: "desktop", browser: "Chrome", browserVersion: "120", os: "Windows", osVersion: "10" },
  attribution: {
    source: "google",
    medium: "cpc",
    campaign: "spring",
    term: "",
    content: "",
    clickId: "",
    clickIdType: "",
    channel: "paid_search",
    referrerClass: "search",
    referrerHost: "www.google.com",
    referrerPath: "/",
    landingHost: "shop.example",
    landingPath: "/thanks",
    queryParams: { utm_source: "google" },
  },
  bot: { isBot: false, botName: "" },
  fraud: { score: 20, flags: ["datacenter_network"] },
  qualityScore: 80,
  ip: { anonymized: "::ffff:203.0.113.0", hash: "1234567890123456789" },
};

const columnNames: string[] = eventColumns.map((c) => c.name);

describe("the row block", () => {
  it("writes an analytics_events row: every column of the event definition, in table order", () => {
    const [row] = encode({ event: conversion, enrichment, context });
    const defaults = Object.fromEntries(eventColumns.map((c) => [c.name, c.default]));
    expect(row).toEqual({
      ...defaults,
      organization_id: "acme",
      event_date: "2026-05-01",
      event_time: "2026-05-01 10:00:00.123",
      event_id: "e1",
      event_type: "conversion",
      event_name: "purchase",
      batch_id: "batch-1",
      ingested_at: "2026-05-01 10:00:05.000",
      retention_days: 30,
      visitor_id: "v1",
      session_id: "s1",
      campaign_id: "spring",
      source: "google",
      medium: "cpc",
      channel: "paid_search",
      referrer_class: "search",
      referrer_host: "www.google.com",
      referrer_path: "/",
      landing_host: "shop.example",
      landing_path: "/thanks",
      url: "https://shop.example/thanks?utm_source=google",
      referrer: "https://www.google.com/",
      user_agent: "Mozilla/5.0",
      query_params: { utm_source: "google" },
      headers: { "accept-language": "fr" },
      properties: { plan: "pro" },
      ip_anonymized: "::ffff:203.0.113.0",
      ip_hash: "1234567890123456789",
      country: "FR",
      region: "IDF",
      city: "Paris",
      asn: 3215,
      as_organization: "Orange",
      device_type: "desktop",
      browser: "Chrome",
      browser_version: "120",
      os: "Windows",
      os_version: "10",
      fraud_score: 20,
      fraud_flags: ["datacenter_network"],
      quality_score: 80,
      conversion_name: "purchase",
      conversion_value: 12.5,
      currency: "EUR",
    } satisfies Partial<EventRow>);
    expect(Object.keys(row ?? {})).toEqual(columnNames);
  });

  it("writes each column's default where the event has no value, and keeps rows apart", () => {
    const empty: Enrichment = {
      geo: { country: "", region: "", city: "", timezone: "", asn: 0, asOrganization: "" },
      device: { deviceType: "other", browser: "", browserVersion: "", os: "", osVersion: "" },
      attribution: { ...enrichment.attribution, source: "", medium: "", campaign: "", queryParams: {} },
      bot: { isBot: false, botName: "" },
      fraud: { score: 0, flags: [] },
      qualityScore: 0,
      ip: { anonymized: "", hash: "0" },
    };
    const pageview: ValidEvent = { ...conversion, type: "pageview", properties: {}, headers: {}, ip: "" };
    const [first, second] = encode(
      { event: pageview, enrichment: empty, context },
      { event: conversion, enrichment, context },
    );
    const defaults = Object.fromEntries(eventColumns.map((c) => [c.name, c.default]));
    for (const name of [
      "query_params",
      "headers",
      "properties",
      "fraud_flags",
      "asn",
      "ip_hash",
      "ip_anonymized",
      "conversion_name",
      "event_name",
    ]) {
      expect(first?.[name], name).toEqual(defaults[name]);
    }
    expect(second).toMatchObject({ event_id: "e1", conversion_name: "purchase", properties: { plan: "pro" } });
  });
});
