import {
  campaignClickKeysTable,
  campaignEventsTable,
  campaignSessionsTable,
  dayVersions,
  EMPTY_DAY,
  exportStateTable,
  readPathTables,
  readPathVersion,
} from "@trellis/bigquery";
import { type GetCampaignPerformanceRequest, Granularity } from "@trellis/contracts";
import type { ResolvedRange } from "@trellis/traffic-rules";
import type { BigQueryReadPath } from "../../adapters/bigquery-read-path.js";
import type { RunContext } from "../../handlers/run-context.js";

/** A campaign performance row as both the store and BigQuery answer it (before names and metric picking). */
export type CampaignPerformanceSqlRow = Record<string, string | number>;

export interface CompiledBigQuery {
  sql: string;
  params: Record<string, unknown>;
  types: Record<string, string | string[]>;
}

/**
 * Campaign performance in GoogleSQL over the read-path tables, equal to the store's statement
 * (compile.ts) over whole UTC days: sums and counts add up across days; unique clicks are
 * distinct click ids over the range; a session's days are grouped again, so it is one session
 * credited to the campaign of its first event in the range, its duration from its first to
 * its last event (whole seconds, as the store's dateDiff counts them) and a bounce when it had
 * one event. The organization is a bound parameter in every table's WHERE.
 */
export function compileBigQueryCampaignPerformance(
  request: GetCampaignPerformanceRequest,
  range: ResolvedRange,
  organizationId: string,
  table: (name: string) => string,
): CompiledBigQuery {
  const byDay = request.groupBy === Granularity.DAY;
  const bucket = byDay ? "CAST(day AS STRING)" : "''";
  // GoogleSQL refuses to GROUP BY a literal: ungrouped, the empty bucket is only selected.
  const groupBy = byDay ? "cmp, bucket" : "cmp";
  const filtered = request.campaignIds.length > 0;
  const campaignFilter = (column: string) => (filtered ? `${column} IN UNNEST(@campaigns)` : `${column} != ''`);
  const scope = "organization_id = @organization_id AND day BETWEEN @start_date AND @end_date";
  const sql = `WITH
traffic AS (
  SELECT campaign_id AS cmp, ${bucket} AS bucket,
    SUM(clicks) AS clicks, SUM(events) AS events,
    SUM(fraud_score_sum) AS fraud_score_sum, SUM(quality_score_sum) AS quality_score_sum,
    SUM(loose_conversions) AS loose_conversions, SUM(loose_revenue) AS loose_revenue
  FROM ${table(campaignEventsTable.name)}
  WHERE ${scope} AND ${campaignFilter("campaign_id")}
  GROUP BY ${groupBy}
),
distinct_clicks AS (
  SELECT campaign_id AS cmp, ${bucket} AS bucket, COUNT(DISTINCT click_id) AS unique_clicks
  FROM ${table(campaignClickKeysTable.name)}
  WHERE ${scope} AND ${campaignFilter("campaign_id")}
  GROUP BY ${groupBy}
),
session_ranges AS (
  SELECT session_id,
    MIN_BY(campaign_id, first_ms) AS cmp,
    ${byDay ? "MIN_BY(CAST(day AS STRING), first_ms)" : "''"} AS bucket,
    DIV(MAX(last_ms), 1000) - DIV(MIN(first_ms), 1000) AS duration,
    SUM(events) AS events, SUM(conversions) AS conversions, SUM(revenue) AS revenue
  FROM ${table(campaignSessionsTable.name)}
  WHERE ${scope}
  GROUP BY session_id
),
session_totals AS (
  SELECT cmp, ${byDay ? "bucket" : "'' AS bucket"}, COUNT(*) AS sessions, SUM(conversions) AS conversions,
    SUM(CAST(revenue AS FLOAT64)) AS revenue, SUM(duration) AS duration_sum,
    SUM(IF(events = 1, 1, 0)) AS bounces
  FROM session_ranges
  WHERE ${campaignFilter("cmp")}
  GROUP BY ${groupBy}
),
joined AS (
  SELECT t.cmp AS campaign_id, t.bucket AS bucket, t.clicks AS clicks,
    COALESCE(d.unique_clicks, 0) AS unique_clicks,
    COALESCE(s.sessions, 0) AS sessions,
    COALESCE(s.conversions, 0) + t.loose_conversions AS conversions,
    COALESCE(s.revenue, 0) + CAST(t.loose_revenue AS FLOAT64) AS revenue,
    COALESCE(s.duration_sum, 0) AS duration_sum,
    COALESCE(s.bounces, 0) AS bounces,
    t.events AS events, t.fraud_score_sum AS fraud_score_sum, t.quality_score_sum AS quality_score_sum
  FROM traffic AS t
  LEFT JOIN distinct_clicks AS d ON d.cmp = t.cmp AND d.bucket = t.bucket
  LEFT JOIN session_totals AS s ON s.cmp = t.cmp AND s.bucket = t.bucket
)
SELECT campaign_id, bucket, clicks, unique_clicks, conversions, revenue, sessions,
  IF(sessions = 0, 0, conversions / sessions) AS conversion_rate,
  IF(conversions = 0, 0, revenue / conversions) AS average_order_value,
  IF(sessions = 0, 0, duration_sum / sessions) AS average_session_duration_seconds,
  IF(sessions = 0, 0, bounces / sessions) AS bounce_rate,
  IF(events = 0, 0, fraud_score_sum / events) AS average_fraud_score,
  IF(events = 0, 0, quality_score_sum / events) AS average_quality_score
FROM joined
ORDER BY campaign_id, bucket
LIMIT 100000`;
  const params: Record<string, unknown> = {
    organization_id: organizationId,
    start_date: range.startDate,
    end_date: range.endDate,
  };
  const types: Record<string, string | string[]> = { organization_id: "STRING", start_date: "DATE", end_date: "DATE" };
  if (filtered) {
    params.campaigns = request.campaignIds;
    types.campaigns = ["STRING"];
  }
  return { sql, params, types };
}

/** Why the read path does not answer a question (it then goes to the store), or undefined when it may. */
export function readPathRefusal(
  request: GetCampaignPerformanceRequest,
  range: ResolvedRange,
  readPath: BigQueryReadPath,
): string | undefined {
  if (range.days < readPath.minDays) return "short range";
  // The exported days are UTC days: another zone's days cut them.
  if (range.timeZone !== "UTC") return "time zone";
  if (request.groupBy !== Granularity.UNSPECIFIED && request.groupBy !== Granularity.DAY) return "granularity";
  return undefined;
}

/**
 * Whether every day of the range is in BigQuery at the store's current data version and under
 * the ruleset the question runs under: each read-path table's state row of a day with events
 * names that day's data version and the ruleset version; a day without events has no state
 * row, or one saying it was exported empty. Reads the store's day versions (the export's own
 * measure: a range read of two columns of the organization's key prefix) and one state query.
 * Answers the state read, or undefined when a day is behind.
 */
export async function exportedAtCurrentVersion(
  ctx: RunContext,
  readPath: BigQueryReadPath,
  range: ResolvedRange,
  rulesetVersion: number,
): Promise<ExportedState | undefined> {
  const current = await dayVersions(ctx.store, ctx.organizationId, range.startDate, range.endDate, ctx.signal);
  const exported = await exportedState(ctx, readPath, range);
  for (const table of readPathTables) {
    for (const [day, version] of current)
      if (exported.get(`${table.name}/${day}`) !== readPathVersion(version, rulesetVersion)) return undefined;
  }
  for (const [key, version] of exported)
    if (!current.has(key.slice(key.indexOf("/") + 1)) && version !== EMPTY_DAY) return undefined;
  return exported;
}

/** The read-path tables' exported versions of the range's days, by `table/day`. */
type ExportedState = Map<string, string>;

async function exportedState(ctx: RunContext, readPath: BigQueryReadPath, range: ResolvedRange) {
  const state = await readPath.run<{ table_name: string; exported_day: string; data_version: string }>(
    `SELECT table_name, CAST(day AS STRING) AS exported_day, data_version FROM ${readPath.table(exportStateTable.name)}
WHERE organization_id = @organization_id AND table_name IN UNNEST(@tables) AND day BETWEEN @start_date AND @end_date`,
    {
      organization_id: ctx.organizationId,
      tables: readPathTables.map((t) => t.name),
      start_date: range.startDate,
      end_date: range.endDate,
    },
    { organization_id: "STRING", tables: ["STRING"], start_date: "DATE", end_date: "DATE" },
    ctx.signal,
  );
  return new Map(state.map((r) => [`${r.table_name}/${r.exported_day}`, r.data_version]));
}

const sameState = (a: ExportedState, b: ExportedState) =>
  a.size === b.size && [...a].every(([key, version]) => b.get(key) === version);

/**
 * The question's rows from BigQuery, or undefined when the read path may not answer it (range,
 * zone, granularity, a day not exported at its current version, another ruleset) or BigQuery
 * failed: the store answers then. A failure is logged; it never fails the question.
 */
export async function campaignPerformanceFromBigQuery(
  ctx: RunContext,
  request: GetCampaignPerformanceRequest,
  range: ResolvedRange,
): Promise<{ rows: CampaignPerformanceSqlRow[]; elapsedMs: number } | undefined> {
  const readPath = ctx.bigquery;
  const rulesetVersion = ctx.ruleset?.ruleset.version;
  if (!readPath || rulesetVersion === undefined || readPathRefusal(request, range, readPath)) return undefined;
  const started = performance.now();
  try {
    const before = await exportedAtCurrentVersion(ctx, readPath, range, rulesetVersion);
    if (!before) {
      readPath.logger.debug(
        { organization_id: ctx.organizationId, start: range.startDate, end: range.endDate },
        "campaign performance: BigQuery is behind the store for this range; the store answers",
      );
      return undefined;
    }
    const compiled = compileBigQueryCampaignPerformance(request, range, ctx.organizationId, readPath.table);
    const rows = await readPath.run<CampaignPerformanceSqlRow>(
      compiled.sql,
      compiled.params,
      compiled.types,
      ctx.signal,
    );
    // The three tables of a day are replaced in three transactions: an export that replaced a
    // day between the check and the answer could have given the answer a mix of versions. The
    // answer read one snapshot between two equal reads of the state, so it read one version.
    if (!sameState(before, await exportedState(ctx, readPath, range))) {
      readPath.logger.debug(
        { organization_id: ctx.organizationId, start: range.startDate, end: range.endDate },
        "campaign performance: the export replaced a day during the answer; the store answers",
      );
      return undefined;
    }
    return { rows, elapsedMs: performance.now() - started };
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    readPath.logger.warn(
      { organization_id: ctx.organizationId, err: error instanceof Error ? error.message : String(error) },
      "campaign performance: BigQuery failed; the store answers",
    );
    return undefined;
  }
}
