/**
 * The exported tables, in one dataset for every organization. Each table is partitioned by day
 * and clustered by organization first, so one organization's question reads only its own
 * blocks; row access policies (rowAccessPolicyStatements) decide who may read which
 * organization's rows when people query the dataset directly.
 */

export interface BigQueryField {
  name: string;
  type: "STRING" | "DATE" | "INT64" | "FLOAT64" | "NUMERIC" | "TIMESTAMP" | "BOOL";
  mode?: "REQUIRED" | "NULLABLE";
}

export interface ExportedTable {
  name: string;
  /** The columns a day's rows carry, in order (organization_id and day first). */
  fields: BigQueryField[];
  clustering: string[];
}

const required = (name: string, type: BigQueryField["type"]): BigQueryField => ({ name, type, mode: "REQUIRED" });
const nullable = (name: string, type: BigQueryField["type"]): BigQueryField => ({ name, type, mode: "NULLABLE" });

/** The seed's campaign_performance view, one row per organization, day, campaign, source and medium. */
export const campaignPerformanceTable: ExportedTable = {
  name: "campaign_performance_daily",
  fields: [
    required("organization_id", "STRING"),
    required("day", "DATE"),
    required("campaign_id", "STRING"),
    required("source", "STRING"),
    required("medium", "STRING"),
    required("clicks", "INT64"),
    required("sessions", "INT64"),
    required("unique_clicks", "INT64"),
    nullable("avg_session_duration", "FLOAT64"),
    nullable("avg_page_views", "FLOAT64"),
    nullable("bounce_rate", "FLOAT64"),
    required("conversions", "INT64"),
    required("revenue", "NUMERIC"),
    nullable("avg_order_value", "FLOAT64"),
    nullable("avg_fraud_score", "FLOAT64"),
    nullable("avg_quality_score", "FLOAT64"),
  ],
  clustering: ["organization_id", "campaign_id"],
};

/** Daily conversion credit per attribution model and channel (the rule-based models). */
export const attributionCreditTable: ExportedTable = {
  name: "attribution_credit_daily",
  fields: [
    required("organization_id", "STRING"),
    required("day", "DATE"),
    required("model", "STRING"),
    required("channel", "STRING"),
    required("conversions", "FLOAT64"),
    required("revenue", "FLOAT64"),
  ],
  clustering: ["organization_id", "model"],
};

/**
 * The read path's tables (the seed's "L3"): campaign performance pieces that add up exactly
 * over any range of whole UTC days, each per **effective** campaign under the organization's
 * ruleset version at export time (the state row's version names it: `<data version>@r<ruleset
 * version>`, so a campaign change re-exports them). Sums and counts, never averages; distinct
 * click ids and sessions as keys, so a range's distinct counts and its sessions (which may span
 * midnight) are computed over the range, as the store computes them. See the README.
 */

/** Additive event metrics per day and effective campaign (events without a session id count their conversions here). */
export const campaignEventsTable: ExportedTable = {
  name: "campaign_events_daily",
  fields: [
    required("organization_id", "STRING"),
    required("day", "DATE"),
    required("campaign_id", "STRING"),
    required("events", "INT64"),
    required("clicks", "INT64"),
    required("fraud_score_sum", "INT64"),
    required("quality_score_sum", "INT64"),
    required("loose_conversions", "INT64"),
    required("loose_revenue", "NUMERIC"),
  ],
  clustering: ["organization_id", "campaign_id"],
};

/** The distinct click ids of a day per effective campaign: COUNT(DISTINCT click_id) over a range is exact. */
export const campaignClickKeysTable: ExportedTable = {
  name: "campaign_click_keys_daily",
  fields: [
    required("organization_id", "STRING"),
    required("day", "DATE"),
    required("campaign_id", "STRING"),
    required("click_id", "STRING"),
  ],
  clustering: ["organization_id", "campaign_id"],
};

/**
 * One row per session (events with a session id) and day: the effective campaign of its first
 * event that day, its first and last event times in milliseconds, events, conversions and
 * revenue. A range groups a session's days again, so a session across midnight is one session,
 * credited to the campaign of its first event in the range.
 */
export const campaignSessionsTable: ExportedTable = {
  name: "campaign_sessions_daily",
  fields: [
    required("organization_id", "STRING"),
    required("day", "DATE"),
    required("session_id", "STRING"),
    required("campaign_id", "STRING"),
    required("first_ms", "INT64"),
    required("last_ms", "INT64"),
    required("events", "INT64"),
    required("conversions", "INT64"),
    required("revenue", "NUMERIC"),
  ],
  clustering: ["organization_id", "session_id"],
};

/**
 * Raw events (optional: TRELLIS_BIGQUERY_RAW_EVENTS), one row per stored event: the captured
 * facts and their derived attribution, enrichment and scores. Left out: the client's address
 * (anonymised and hashed), the request headers and custom properties. Query parameters travel
 * as a JSON object.
 */
export const rawEventsTable: ExportedTable = {
  name: "events",
  fields: [
    required("organization_id", "STRING"),
    required("day", "DATE"),
    required("event_time", "TIMESTAMP"),
    required("event_id", "STRING"),
    required("event_type", "STRING"),
    required("event_name", "STRING"),
    required("ingested_at", "TIMESTAMP"),
    required("visitor_id", "STRING"),
    required("session_id", "STRING"),
    required("click_id", "STRING"),
    required("click_id_type", "STRING"),
    required("campaign_id", "STRING"),
    required("source", "STRING"),
    required("medium", "STRING"),
    required("term", "STRING"),
    required("content", "STRING"),
    required("channel", "STRING"),
    required("referrer_class", "STRING"),
    required("referrer_host", "STRING"),
    required("landing_host", "STRING"),
    required("landing_path", "STRING"),
    required("url", "STRING"),
    required("referrer", "STRING"),
    required("user_agent", "STRING"),
    required("query_params", "STRING"),
    required("country", "STRING"),
    required("region", "STRING"),
    required("city", "STRING"),
    required("device_type", "STRING"),
    required("browser", "STRING"),
    required("os", "STRING"),
    required("is_bot", "BOOL"),
    required("bot_name", "STRING"),
    required("fraud_score", "INT64"),
    required("quality_score", "INT64"),
    required("conversion_name", "STRING"),
    required("conversion_value", "NUMERIC"),
    required("currency", "STRING"),
  ],
  clustering: ["organization_id", "event_type"],
};

/** The tables the read path answers from; exported only with the organization's ruleset. */
export const readPathTables = [campaignEventsTable, campaignClickKeysTable, campaignSessionsTable] as const;

/**
 * What was exported: one row per organization, table and day with the data version it was
 * exported at. Written in the same transaction as the day's rows, so it never disagrees with
 * them: a run compares it with the store's versions and exports only the days that moved.
 */
export const exportStateTable: ExportedTable = {
  name: "export_state",
  fields: [
    required("organization_id", "STRING"),
    required("table_name", "STRING"),
    required("day", "DATE"),
    required("data_version", "STRING"),
    required("row_count", "INT64"),
    required("exported_at", "TIMESTAMP"),
  ],
  clustering: ["organization_id", "table_name"],
};

export const exportedTables = [campaignPerformanceTable, attributionCreditTable, ...readPathTables] as const;

/** A read-path day's version in export_state: the store's data version and the ruleset it was computed under. */
export function readPathVersion(dataVersion: string, rulesetVersion: number): string {
  return dataVersion === EMPTY_DAY ? EMPTY_DAY : `${dataVersion}@r${rulesetVersion}`;
}

/** The version of a day with no events (deleted, expired): exported as no rows. */
export const EMPTY_DAY = "empty";

/** `project.dataset.table`, quoted for GoogleSQL. */
export function qualified(projectId: string, dataset: string, table: string): string {
  return `\`${projectId}.${dataset}.${table}\``;
}

/**
 * The seed's `campaign_performance` view, for BigQuery: its columns and names (date,
 * avg_* …) over the daily table. Row access policies on the table apply through the view.
 */
export function campaignPerformanceViewDdl(projectId: string, dataset: string): string {
  const columns = campaignPerformanceTable.fields.map((f) => (f.name === "day" ? "day AS date" : f.name));
  return `CREATE OR REPLACE VIEW ${qualified(projectId, dataset, "campaign_performance")} AS
SELECT ${columns.join(", ")}
FROM ${qualified(projectId, dataset, campaignPerformanceTable.name)}`;
}

const ORGANIZATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const GRANTEE = /^(user|group|serviceAccount|domain):[A-Za-z0-9._%+@-]{1,254}$/;

/**
 * Who may read one organization's rows when querying the dataset directly: a row access policy
 * per exported table (and the state table) that passes only that organization's rows to the
 * grantees (`user:…`, `group:…`, `serviceAccount:…`, `domain:…`). DDL takes no parameters, so the
 * organization id and the grantees are checked against their alphabets first.
 */
export function rowAccessPolicyStatements(
  projectId: string,
  dataset: string,
  organizationId: string,
  grantees: readonly string[],
): string[] {
  if (!ORGANIZATION_ID.test(organizationId))
    throw new Error("organization id must be 1-64 letters, digits, _ or - to name a row access policy");
  if (grantees.length === 0) throw new Error("a row access policy needs at least one grantee");
  for (const grantee of grantees)
    if (!GRANTEE.test(grantee))
      throw new Error(`grantee ${JSON.stringify(grantee)} is not user:, group:, serviceAccount: or domain:`);
  const policy = `organization_${organizationId.replaceAll("-", "_")}`;
  return [...exportedTables, rawEventsTable, exportStateTable].map(
    (t) =>
      `CREATE OR REPLACE ROW ACCESS POLICY ${policy} ON ${qualified(projectId, dataset, t.name)} ` +
      `GRANT TO (${grantees.map((g) => `"${g}"`).join(", ")}) FILTER USING (organization_id = "${organizationId}")`,
  );
}
