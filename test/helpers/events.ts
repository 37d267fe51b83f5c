import { type EventRow, type EventType, toDateTime64 } from "@trellis/store";

export interface EventSpec {
  organizationId: string;
  time: Date;
  type: EventType;
  visitorId: string;
  sessionId: string;
  source?: string;
  value?: number;
  campaignId?: string;
  conversionName?: string;
  country?: string;
  /** Any other stored columns (channel, referrer_host, query_params, fraud_score, click_id, …). */
  columns?: Partial<EventRow>;
}

/** A stored event row with the columns tests care about; the rest take their defaults. */
export function eventRow(spec: EventSpec, index: number): Partial<EventRow> {
  return {
    organization_id: spec.organizationId,
    event_date: spec.time.toISOString().slice(0, 10),
    event_time: toDateTime64(spec.time),
    event_id: `${spec.organizationId}-${index}`,
    event_type: spec.type,
    ingested_at: toDateTime64(spec.time),
    retention_days: 3650,
    visitor_id: spec.visitorId,
    session_id: spec.sessionId,
    source: spec.source ?? "",
    campaign_id: spec.campaignId ?? "",
    country: spec.country ?? "",
    event_name: spec.type === "conversion" ? (spec.conversionName ?? "purchase") : "",
    conversion_name: spec.type === "conversion" ? (spec.conversionName ?? "purchase") : "",
    conversion_value: spec.type === "conversion" ? (spec.value ?? 0) : 0,
    ...spec.columns,
  };
}

/**
 * Deterministic traffic: `perDay` events a day from `start` for `days` days; every 5th a
 * conversion worth 10, every 3rd a pageview, the rest clicks; 7 visitors a day.
 */
export function dailyTraffic(organizationId: string, start: string, days: number, perDay: number): EventSpec[] {
  const specs: EventSpec[] = [];
  for (let day = 0; day < days; day++) {
    const date = new Date(Date.parse(`${start}T00:00:00Z`) + day * 86_400_000);
    for (let i = 0; i < perDay; i++) {
      const type: EventType = i % 5 === 0 ? "conversion" : i % 3 === 0 ? "pageview" : "click";
      specs.push({
        organizationId,
        time: new Date(date.getTime() + i * 60_000 + 3_600_000),
        type,
        visitorId: `${organizationId}-v${i % 7}`,
        sessionId: `${organizationId}-d${day}-s${i % 4}`,
        source: i % 2 === 0 ? "google" : "newsletter",
        value: 10,
      });
    }
  }
  return specs;
}

export function expectedDaily(specs: EventSpec[]) {
  const byDay = new Map<
    string,
    { events: number; clicks: number; pageviews: number; conversions: number; revenue: number }
  >();
  for (const s of specs) {
    const day = s.time.toISOString().slice(0, 10);
    const row = byDay.get(day) ?? { events: 0, clicks: 0, pageviews: 0, conversions: 0, revenue: 0 };
    row.events++;
    if (s.type === "click") row.clicks++;
    if (s.type === "pageview") row.pageviews++;
    if (s.type === "conversion") {
      row.conversions++;
      row.revenue += s.value ?? 0;
    }
    byDay.set(day, row);
  }
  return byDay;
}
