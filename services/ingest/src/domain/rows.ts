import { toDateTime64 } from "@trellis/store";
import type { Enrichment } from "../enrich/index.js";
import type { ValidEvent } from "./validate.js";

export interface RowContext {
  organizationId: string;
  retentionDays: number;
  batchId: string;
  ingestedAt: string;
}

/** One stored row of analytics_events: the raw request beside what enrichment derived from it. */
export function toRow(event: ValidEvent, enrichment: Enrichment, context: RowContext): Record<string, unknown> {
  const { attribution, geo, device, bot, fraud, ip } = enrichment;
  const isConversion = event.type === "conversion";
  return {
    organization_id: context.organizationId,
    event_date: event.time.toISOString().slice(0, 10),
    event_time: toDateTime64(event.time),
    event_id: event.eventId,
    event_type: event.type,
    event_name: event.type === "custom" ? event.name : event.type === "conversion" ? event.conversionName : "",
    batch_id: context.batchId,
    ingested_at: context.ingestedAt,
    retention_days: context.retentionDays,
    visitor_id: event.visitorId,
    session_id: event.sessionId,
    click_id: attribution.clickId,
    click_id_type: attribution.clickIdType,
    campaign_id: attribution.campaign,
    source: attribution.source,
    medium: attribution.medium,
    term: attribution.term,
    content: attribution.content,
    channel: attribution.channel,
    referrer_class: attribution.referrerClass,
    referrer_host: attribution.referrerHost,
    referrer_path: attribution.referrerPath,
    landing_host: attribution.landingHost,
    landing_path: attribution.landingPath,
    url: event.url,
    referrer: event.referrer,
    user_agent: event.userAgent,
    query_params: attribution.queryParams,
    headers: event.headers,
    properties: event.properties,
    ip_anonymized: ip.anonymized || "::",
    ip_hash: ip.hash || "0",
    country: geo.country,
    region: geo.region,
    city: geo.city,
    timezone: geo.timezone,
    asn: geo.asn,
    as_organization: geo.asOrganization,
    device_type: device.deviceType,
    browser: device.browser,
    browser_version: device.browserVersion,
    os: device.os,
    os_version: device.osVersion,
    is_bot: bot.isBot,
    bot_name: bot.botName,
    fraud_score: fraud.score,
    fraud_flags: fraud.flags,
    quality_score: enrichment.qualityScore,
    conversion_name: isConversion ? event.conversionName : "",
    conversion_value: isConversion ? event.value : 0,
    currency: isConversion ? event.currency : "",
  };
}
