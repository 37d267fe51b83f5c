import { type EventColumnOf, type EventRow, toDateTime64 } from "@trellis/store";
import type { Enrichment } from "../enrich/index.js";
import type { ValidEvent } from "./validate.js";

export interface RowContext {
  organizationId: string;
  retentionDays: number;
  batchId: string;
  ingestedAt: string;
}

/**
 * A row's columns, leaving out every value that is its type's default (empty string, 0, false,
 * empty map or array): analytics_events has no DEFAULT expressions, so the engine fills in
 * exactly that value (the column's `default` in the event definition), and the line stays
 * short. One JSON.stringify of the row writes the line in a single native pass.
 */
type Row = Partial<EventRow>;

/** "" is left out: the engine stores the column's default ("" for text, "::" for ip_anonymized). */
function putString(row: Row, name: EventColumnOf<string>, value: string): void {
  if (value !== "") row[name] = value;
}

function putNumber(row: Row, name: EventColumnOf<number>, value: number): void {
  if (value !== 0) row[name] = value;
}

function putMap(
  row: Row,
  name: EventColumnOf<Readonly<Record<string, string>>>,
  value: Readonly<Record<string, string>>,
): void {
  for (const _ in value) {
    row[name] = value;
    return;
  }
}

/** One stored row of analytics_events as a JSONEachRow line: the raw request beside what enrichment derived. */
export function encodeRow(event: ValidEvent, enrichment: Enrichment, context: RowContext): string {
  const { attribution, geo, device, bot, fraud, ip } = enrichment;
  const isConversion = event.type === "conversion";
  const row: Row = { organization_id: context.organizationId };
  putString(row, "event_date", event.time.toISOString().slice(0, 10));
  putString(row, "event_time", toDateTime64(event.time));
  putString(row, "event_id", event.eventId);
  putString(row, "event_type", event.type);
  putString(row, "event_name", event.type === "custom" ? event.name : isConversion ? event.conversionName : "");
  putString(row, "batch_id", context.batchId);
  putString(row, "ingested_at", context.ingestedAt);
  putNumber(row, "retention_days", context.retentionDays);
  putString(row, "visitor_id", event.visitorId);
  putString(row, "session_id", event.sessionId);
  putString(row, "click_id", attribution.clickId);
  putString(row, "click_id_type", attribution.clickIdType);
  putString(row, "campaign_id", attribution.campaign);
  putString(row, "source", attribution.source);
  putString(row, "medium", attribution.medium);
  putString(row, "term", attribution.term);
  putString(row, "content", attribution.content);
  putString(row, "channel", attribution.channel);
  putString(row, "referrer_class", attribution.referrerClass);
  putString(row, "referrer_host", attribution.referrerHost);
  putString(row, "referrer_path", attribution.referrerPath);
  putString(row, "landing_host", attribution.landingHost);
  putString(row, "landing_path", attribution.landingPath);
  putString(row, "url", event.url);
  putString(row, "referrer", event.referrer);
  putString(row, "user_agent", event.userAgent);
  putMap(row, "query_params", attribution.queryParams);
  putMap(row, "headers", event.headers);
  putMap(row, "properties", event.properties);
  putString(row, "ip_anonymized", ip.anonymized);
  if (ip.hash !== "" && ip.hash !== "0") putString(row, "ip_hash", ip.hash);
  putString(row, "country", geo.country);
  putString(row, "region", geo.region);
  putString(row, "city", geo.city);
  putString(row, "timezone", geo.timezone);
  putNumber(row, "asn", geo.asn);
  putString(row, "as_organization", geo.asOrganization);
  putString(row, "device_type", device.deviceType);
  putString(row, "browser", device.browser);
  putString(row, "browser_version", device.browserVersion);
  putString(row, "os", device.os);
  putString(row, "os_version", device.osVersion);
  if (bot.isBot) row.is_bot = true;
  putString(row, "bot_name", bot.botName);
  putNumber(row, "fraud_score", fraud.score);
  if (fraud.flags.length > 0) row.fraud_flags = fraud.flags;
  putNumber(row, "quality_score", enrichment.qualityScore);
  if (isConversion) {
    putString(row, "conversion_name", event.conversionName);
    putNumber(row, "conversion_value", event.value);
    putString(row, "currency", event.currency);
  }
  return JSON.stringify(row);
}
