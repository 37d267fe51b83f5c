import { toDateTime64 } from "@trellis/store";
import type { Enrichment } from "../enrich/index.js";
import type { ValidEvent } from "./validate.js";

export interface RowContext {
  organizationId: string;
  retentionDays: number;
  batchId: string;
  ingestedAt: string;
}

/**
 * Collects one row's columns, leaving out every value that is its type's default (empty
 * string, 0, false, empty map or array): analytics_events has no DEFAULT expressions, so the
 * engine fills in exactly that value, and the line stays short. One JSON.stringify of the
 * result writes the line in a single native pass.
 */
function createRow(first: string, value: string) {
  const row: Record<string, unknown> = { [first]: value };
  return {
    string(name: string, value: string) {
      if (value !== "") row[name] = value;
    },
    number(name: string, value: number) {
      if (value !== 0) row[name] = value;
    },
    flag(name: string, value: boolean) {
      if (value) row[name] = true;
    },
    map(name: string, value: Readonly<Record<string, string>>) {
      for (const _ in value) {
        row[name] = value;
        return;
      }
    },
    list(name: string, value: readonly string[]) {
      if (value.length > 0) row[name] = value;
    },
    end: () => JSON.stringify(row),
  };
}

/** One stored row of analytics_events as a JSONEachRow line: the raw request beside what enrichment derived. */
export function encodeRow(event: ValidEvent, enrichment: Enrichment, context: RowContext): string {
  const { attribution, geo, device, bot, fraud, ip } = enrichment;
  const isConversion = event.type === "conversion";
  const line = createRow("organization_id", context.organizationId);
  line.string("event_date", event.time.toISOString().slice(0, 10));
  line.string("event_time", toDateTime64(event.time));
  line.string("event_id", event.eventId);
  line.string("event_type", event.type);
  line.string("event_name", event.type === "custom" ? event.name : isConversion ? event.conversionName : "");
  line.string("batch_id", context.batchId);
  line.string("ingested_at", context.ingestedAt);
  line.number("retention_days", context.retentionDays);
  line.string("visitor_id", event.visitorId);
  line.string("session_id", event.sessionId);
  line.string("click_id", attribution.clickId);
  line.string("click_id_type", attribution.clickIdType);
  line.string("campaign_id", attribution.campaign);
  line.string("source", attribution.source);
  line.string("medium", attribution.medium);
  line.string("term", attribution.term);
  line.string("content", attribution.content);
  line.string("channel", attribution.channel);
  line.string("referrer_class", attribution.referrerClass);
  line.string("referrer_host", attribution.referrerHost);
  line.string("referrer_path", attribution.referrerPath);
  line.string("landing_host", attribution.landingHost);
  line.string("landing_path", attribution.landingPath);
  line.string("url", event.url);
  line.string("referrer", event.referrer);
  line.string("user_agent", event.userAgent);
  line.map("query_params", attribution.queryParams);
  line.map("headers", event.headers);
  line.map("properties", event.properties);
  line.string("ip_anonymized", ip.anonymized);
  if (ip.hash !== "" && ip.hash !== "0") line.string("ip_hash", ip.hash);
  line.string("country", geo.country);
  line.string("region", geo.region);
  line.string("city", geo.city);
  line.string("timezone", geo.timezone);
  line.number("asn", geo.asn);
  line.string("as_organization", geo.asOrganization);
  line.string("device_type", device.deviceType);
  line.string("browser", device.browser);
  line.string("browser_version", device.browserVersion);
  line.string("os", device.os);
  line.string("os_version", device.osVersion);
  line.flag("is_bot", bot.isBot);
  line.string("bot_name", bot.botName);
  line.number("fraud_score", fraud.score);
  line.list("fraud_flags", fraud.flags);
  line.number("quality_score", enrichment.qualityScore);
  if (isConversion) {
    line.string("conversion_name", event.conversionName);
    line.number("conversion_value", event.value);
    line.string("currency", event.currency);
  }
  return line.end();
}
