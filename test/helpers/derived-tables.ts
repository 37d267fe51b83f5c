import { rollups, type Store } from "@trellis/store";

/**
 * Per rollup, and for the landing sessions, an organization's events by bucket (and the
 * landing sessions' sessions): what the query layer reads of the tables derived from its events.
 */
export async function derivedTableCounts(store: Store, database: string, org: string) {
  const out: Record<string, unknown[]> = {};
  for (const spec of rollups) {
    const { rows } = await store.query({
      name: "test.rollup",
      sql: `SELECT ${spec.bucketColumn} AS bucket, sum(events) AS events FROM ${database}.${spec.name}
            WHERE organization_id = {org:String} GROUP BY bucket ORDER BY bucket`,
      params: { org },
      organizationId: org,
    });
    out[spec.name] = rows;
  }
  const { rows } = await store.query({
    name: "test.landing_sessions",
    sql: `SELECT day AS bucket, sum(events) AS events, count(DISTINCT session_key) AS sessions FROM ${database}.landing_sessions
          WHERE organization_id = {org:String} GROUP BY bucket ORDER BY bucket`,
    params: { org },
    organizationId: org,
  });
  out.landing_sessions = rows;
  return out;
}

/** Deletes an organization's rows of every derived table: what a cluster's table added by a migration holds of earlier days. */
export async function emptyDerivedTables(store: Store, database: string, org: string): Promise<void> {
  for (const name of [...rollups.map((spec) => spec.name), "landing_sessions"]) {
    await store.command({
      name: "test.empty",
      sql: `DELETE FROM ${database}.${name} WHERE organization_id = {org:String}`,
      params: { org },
      organizationId: org,
    });
  }
}
