import type { Store } from "@trellis/store";

/**
 * A day's data version: the count, an order-independent hash of the event ids and the latest
 * ingestion time of the organization's events that day. Any insert or deletion moves it; the
 * organization's key prefix (organization_id, event_date) makes it one cheap range read.
 */
export async function dayVersions(
  store: Store,
  organizationId: string,
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const { rows } = await store.query<{ day: string; version: string }>({
    name: "export.day_versions",
    sql: `SELECT toString(event_date) AS day,
  concat(toString(count()), '-', toString(sum(cityHash64(event_id))), '-', toString(max(ingested_at))) AS version
FROM ${store.database}.analytics_events
WHERE organization_id = {organization_id:String} AND event_date >= {from:Date} AND event_date <= {to:Date}
GROUP BY event_date`,
    params: { organization_id: organizationId, from, to },
    organizationId,
    signal,
  });
  return new Map(rows.map((r) => [r.day, r.version]));
}
