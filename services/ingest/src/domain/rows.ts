import { createEventBlockBuilder, type EventBlockBuilder, type EventColumnValues } from "@trellis/store/events";
import type { Enrichment } from "../enrich/index.js";
import type { ValidEvent } from "./validate.js";

export interface RowContext {
  organizationId: string;
  retentionDays: number;
  /** The batch's receipt time, epoch milliseconds. */
  ingestedAtMs: number;
}

/** What one stored row is made of: the raw request beside what enrichment derived. */
export interface RowSource {
  event: ValidEvent;
  enrichment: Enrichment;
  context: RowContext;
}

const DAY_MS = 86_400_000;

/**
 * Each column of an analytics_events row, taken from the event and its enrichment. The batch
 * id is not here: it is known once the whole batch is read (a digest of its event ids), and
 * filled in for the batch's rows then.
 */
export const eventColumnValues: Omit<EventColumnValues<RowSource>, "batch_id"> = {
  organization_id: (s) => s.context.organizationId,
  event_date: (s) => Math.floor(s.event.time.getTime() / DAY_MS),
  event_time: (s) => s.event.time.getTime(),
  event_id: (s) => s.event.eventId,
  event_type: (s) => s.event.type,
  event_name: (s) =>
    s.event.type === "custom" ? s.event.name : s.event.type === "conversion" ? s.event.conversionName : "",
  ingested_at: (s) => s.context.ingestedAtMs,
  retention_days: (s) => s.context.retentionDays,
  visitor_id: (s) => s.event.visitorId,
  session_id: (s) => s.event.sessionId,
  click_id: (s) => s.enrichment.attribution.clickId,
  click_id_type: (s) => s.enrichment.attribution.clickIdType,
  campaign_id: (s) => s.enrichment.attribution.campaign,
  source: (s) => s.enrichment.attribution.source,
  medium: (s) => s.enrichment.attribution.medium,
  term: (s) => s.enrichment.attribution.term,
  content: (s) => s.enrichment.attribution.content,
  channel: (s) => s.enrichment.attribution.channel,
  referrer_class: (s) => s.enrichment.attribution.referrerClass,
  referrer_host: (s) => s.enrichment.attribution.referrerHost,
  referrer_path: (s) => s.enrichment.attribution.referrerPath,
  landing_host: (s) => s.enrichment.attribution.landingHost,
  landing_path: (s) => s.enrichment.attribution.landingPath,
  url: (s) => s.event.url,
  referrer: (s) => s.event.referrer,
  user_agent: (s) => s.event.userAgent,
  query_params: (s) => s.enrichment.attribution.queryParams,
  headers: (s) => s.event.headers,
  properties: (s) => s.event.properties,
  // No address: the column's default, "::".
  ip_anonymized: (s) => s.enrichment.ip.anonymized || "::",
  ip_hash: (s) => s.enrichment.ip.hash || "0",
  country: (s) => s.enrichment.geo.country,
  region: (s) => s.enrichment.geo.region,
  city: (s) => s.enrichment.geo.city,
  timezone: (s) => s.enrichment.geo.timezone,
  asn: (s) => s.enrichment.geo.asn,
  as_organization: (s) => s.enrichment.geo.asOrganization,
  device_type: (s) => s.enrichment.device.deviceType,
  browser: (s) => s.enrichment.device.browser,
  browser_version: (s) => s.enrichment.device.browserVersion,
  os: (s) => s.enrichment.device.os,
  os_version: (s) => s.enrichment.device.osVersion,
  is_bot: (s) => s.enrichment.bot.isBot,
  bot_name: (s) => s.enrichment.bot.botName,
  fraud_score: (s) => s.enrichment.fraud.score,
  fraud_flags: (s) => s.enrichment.fraud.flags,
  quality_score: (s) => s.enrichment.qualityScore,
  conversion_name: (s) => (s.event.type === "conversion" ? s.event.conversionName : ""),
  conversion_value: (s) => (s.event.type === "conversion" ? s.event.value : 0),
  currency: (s) => (s.event.type === "conversion" ? s.event.currency : ""),
};

/** A builder of Native blocks of analytics_events rows from prepared events; `batch_id` is filled per batch. */
export function createRowBlockBuilder(): EventBlockBuilder<RowSource> {
  return createEventBlockBuilder(eventColumnValues, ["batch_id"]);
}
