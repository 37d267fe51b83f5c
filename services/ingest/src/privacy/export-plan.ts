import { type RollupSpec, rollupDayOf, rollups } from "@trellis/store";

export type ExportFormatName = "parquet" | "csv" | "ndjson";

/** The engine's writer and the file extension of each format. */
export const exportFormats: Record<
  ExportFormatName,
  { engineFormat: "Parquet" | "CSVWithNames" | "JSONEachRow"; extension: string }
> = {
  parquet: { engineFormat: "Parquet", extension: "parquet" },
  csv: { engineFormat: "CSVWithNames", extension: "csv" },
  ndjson: { engineFormat: "JSONEachRow", extension: "ndjson" },
};

/** What an export can hold: the raw events and every rollup. */
export const exportableTables: readonly string[] = ["analytics_events", ...rollups.map((r) => r.name)];

function monthOf(spec: RollupSpec | undefined): string {
  if (!spec) return "toYYYYMM(event_date)";
  return `toYYYYMM(${rollupDayOf(spec)})`;
}

export interface TableExport {
  table: string;
  /** The months (YYYYMM) holding the organization's rows; binds `{organization_id}`. */
  partitions: string;
  /** Rows of one month; binds `{organization_id}` and `{partition}`. */
  count: string;
  /** The rows of one month as the file holds them. */
  select: string;
}

/**
 * Each table's statements. Raw events are exported as stored; a rollup's aggregate states are
 * finalized (sums, and exact distinct counts of visitors, sessions and click ids), one row per
 * bucket and dimension values, so that the file reads without the engine.
 */
export function tableExport(database: string, table: string): TableExport {
  const spec = rollups.find((r) => r.name === table);
  const month = monthOf(spec);
  const where = `organization_id = {organization_id:String} AND ${month} = {partition:UInt32}`;
  const from = `${database}.${table}`;
  const partitions = `SELECT DISTINCT toString(${month}) AS partition FROM ${from} WHERE organization_id = {organization_id:String} ORDER BY partition`;
  if (!spec) {
    return {
      table,
      partitions,
      count: `SELECT count() AS rows FROM ${from} WHERE ${where}`,
      select: `SELECT * FROM ${from} WHERE ${where} ORDER BY event_date, visitor_id, event_time, event_id`,
    };
  }
  const keys = ["organization_id", spec.bucketColumn, ...spec.dimensions, "retention_days"].join(", ");
  const counts =
    spec.layout === "totals"
      ? "sum(events) AS events, sum(clicks) AS clicks, sum(pageviews) AS pageviews, sum(conversions) AS conversions, sum(revenue) AS revenue"
      : "sum(events) AS events, sum(revenue) AS revenue";
  const select = `SELECT ${keys}, ${counts}, sum(fraud_score_sum) AS fraud_score_sum, sum(quality_score_sum) AS quality_score_sum,
  uniqExactIfMerge(visitors) AS visitors, uniqExactIfMerge(sessions) AS sessions, uniqExactIfMerge(click_ids) AS click_ids
FROM ${from} WHERE ${where} GROUP BY ${keys} ORDER BY ${keys}`;
  return { table, partitions, count: `SELECT count() AS rows FROM (${select})`, select };
}
