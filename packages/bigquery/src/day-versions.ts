import type { Store } from "@trellis/store";

/** The version of each day the condition selects, as dayVersions defines it. */
async function versionsWhere(
  store: Store,
  organizationId: string,
  name: string,
  condition: string,
  params: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const { rows } = await store.query<{ day: string; version: string }>({
    name,
    sql: `SELECT toString(event_date) AS day,
  concat(toString(count()), '-', toString(sum(cityHash64(event_id))), '-', toString(max(ingested_at))) AS version
FROM ${store.database}.analytics_events
WHERE organization_id = {organization_id:String} AND ${condition}
GROUP BY event_date`,
    params: { ...params, organization_id: organizationId },
    organizationId,
    signal,
  });
  return new Map(rows.map((r) => [r.day, r.version]));
}

/**
 * A day's data version: the count, an order-independent hash of the event ids and the latest
 * ingestion time of the organization's events that day. Any insert or deletion moves it; the
 * organization's key prefix (organization_id, event_date) makes it one cheap range read.
 * Days without events are absent.
 */
export function dayVersions(
  store: Store,
  organizationId: string,
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  return versionsWhere(
    store,
    organizationId,
    "export.day_versions",
    "event_date >= {from:Date} AND event_date <= {to:Date}",
    { from, to },
    signal,
  );
}

/** The data versions (as dayVersions) of the named days, whatever their age; days without events are absent. */
export function dayVersionsOf(
  store: Store,
  organizationId: string,
  days: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  if (days.length === 0) return Promise.resolve(new Map());
  return versionsWhere(
    store,
    organizationId,
    "export.day_versions_of",
    "event_date IN {days:Array(Date)}",
    { days },
    signal,
  );
}

/** How many events a data version counts (its first part; 0 for a day exported empty). */
export function eventsOfVersion(version: string): number {
  const count = Number(version.split("-")[0]);
  return Number.isSafeInteger(count) ? count : 0;
}

/**
 * The number of events of each of the organization's days before `before`, read from the daily
 * totals rollup (a few rows per day, so all of an organization's history is one small read).
 * The rollup moves with the events: its view adds every insert, and a deletion request or a
 * retention change rebuilds the days it touched from the events that remain (a day left
 * without events loses its rows). A day whose count differs from the count its exported
 * version names has changed since its export; its exact version is then read with
 * dayVersionsOf. Days without events are absent.
 */
export async function dailyEventCounts(
  store: Store,
  organizationId: string,
  before: string,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const { rows } = await store.query<{ on_day: string; event_count: string }>({
    name: "export.daily_event_counts",
    // No alias names a column: ClickHouse would read the alias in the WHERE and the HAVING.
    sql: `SELECT toString(day) AS on_day, toString(sum(events)) AS event_count
FROM ${store.database}.events_daily_totals
WHERE organization_id = {organization_id:String} AND day < {before:Date}
GROUP BY day
HAVING sum(events) > 0`,
    params: { organization_id: organizationId, before },
    organizationId,
    signal,
  });
  return new Map(rows.map((r) => [r.on_day, Number(r.event_count)]));
}
