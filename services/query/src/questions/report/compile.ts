import { Granularity, type RunReportRequest, SortDirection } from "@trellis/contracts";
import { echo, ValidationError } from "@trellis/platform";
import {
  type BoundSql,
  bucketsPerDay,
  chooseSource,
  type Dimension,
  findDimension,
  findMetric,
  type Metric,
  type ResolvedRange,
  rangeParams,
  resolveRange,
  rewritesCampaign,
  type SourcePreference,
} from "@trellis/traffic-rules";
import { compileFilters } from "../../domain/filters.js";
import { checkReportLimits } from "../../domain/input-limits.js";

export const reportLimits = {
  dimensions: 8,
  metrics: 24,
  defaultRows: 1000,
  maxRows: 100_000,
  maxOffset: 10_000_000,
} as const;

export interface ReportColumnSpec {
  name: string;
  kind: "dimension" | "metric";
  type: string;
}

export interface CompiledReport {
  sql: string;
  params: Record<string, unknown>;
  columns: ReportColumnSpec[];
  range: ResolvedRange;
  granularity: Granularity;
  /** The table that answers: raw events or a rollup. */
  table: string;
  /** Whether the statement pages (row numbers and a total count) or returns every group. */
  paged: boolean;
  limit: number;
}

export interface ReportOptions {
  /** Largest page a caller may ask for. */
  rowCap?: number;
  /** Force a source (tests compare them); the router picks one by default. */
  source?: SourcePreference;
  /** The organization's effective campaign under its ruleset; the captured column when absent. */
  effectiveCampaign?: BoundSql;
}

const CAMPAIGN_DIMENSION = "campaign_id";

const MAX_BUCKETS = 100_000;

function unique<T extends { name: string }>(
  names: readonly string[],
  find: (n: string) => T | undefined,
  path: string,
  what: string,
): T[] {
  const seen = new Set<string>();
  return names.map((name, i) => {
    const found = find(name);
    if (!found) throw ValidationError.field(`${path}[${i}]`, `unknown ${what} ${echo(name)}`);
    if (seen.has(name)) throw ValidationError.field(`${path}[${i}]`, `${echo(name)} is listed twice`);
    seen.add(name);
    return found;
  });
}

/**
 * A custom report over the organization's events: grouped by catalogue dimensions (and a
 * time bucket), aggregated by catalogue metrics, filtered, ordered and paged, with totals.
 * Every name comes from the catalogue; every value, the organization included, is bound.
 */
export function compileReport(
  request: RunReportRequest,
  database: string,
  organizationId: string,
  options: ReportOptions = {},
): CompiledReport {
  checkReportLimits(request);
  const rowCap = options.rowCap ?? reportLimits.maxRows;
  const range = resolveRange(request.range, "range");
  const granularity = request.groupBy;
  if (granularity !== Granularity.UNSPECIFIED && range.days * bucketsPerDay(granularity) > MAX_BUCKETS) {
    throw ValidationError.field("group_by", `too fine for a ${range.days}-day range (at most ${MAX_BUCKETS} buckets)`);
  }
  if (request.dimensions.length > reportLimits.dimensions) {
    throw ValidationError.field("dimensions", `at most ${reportLimits.dimensions} dimensions`);
  }
  if (request.metrics.length === 0) throw ValidationError.field("metrics", "name at least one metric");
  if (request.metrics.length > reportLimits.metrics)
    throw ValidationError.field("metrics", `at most ${reportLimits.metrics} metrics`);
  const dims: Dimension[] = unique(request.dimensions, findDimension, "dimensions", "dimension");
  const mets: Metric[] = unique(request.metrics, findMetric, "metrics", "metric");
  const limit = request.limit === 0 ? Math.min(reportLimits.defaultRows, rowCap) : request.limit;
  if (limit > rowCap) throw ValidationError.field("limit", `must be at most ${rowCap}; stream larger reports`);
  if (request.offset > reportLimits.maxOffset)
    throw ValidationError.field("offset", `must be at most ${reportLimits.maxOffset}`);

  const filterFields = request.filters.map((f) => f.field).filter((field) => findDimension(field) !== undefined);
  // Rollups keep the captured campaign only: a question about campaigns under a ruleset that
  // rewrites them reads raw events.
  const campaign = options.effectiveCampaign;
  const rewritten =
    campaign !== undefined &&
    rewritesCampaign(campaign) &&
    (dims.some((d) => d.name === CAMPAIGN_DIMENSION) || filterFields.includes(CAMPAIGN_DIMENSION));
  const dimensionSql = (d: Dimension) =>
    rewritten && d.name === CAMPAIGN_DIMENSION && campaign ? campaign.sql : d.sql;
  const source = chooseSource(
    { granularity, range, dimensions: dims.map((d) => d.name), filterFields },
    rewritten ? "raw" : options.source,
  );
  const keys: string[] = [];
  const select: string[] = [];
  const columns: ReportColumnSpec[] = [];
  if (granularity !== Granularity.UNSPECIFIED) {
    select.push(`${source.bucket(granularity)} AS bucket`);
    keys.push("bucket");
    columns.push({ name: "bucket", kind: "dimension", type: "String" });
  }
  for (const d of dims) {
    select.push(`${dimensionSql(d)} AS \`${d.name}\``);
    keys.push(`\`${d.name}\``);
    columns.push({ name: d.name, kind: "dimension", type: d.type });
  }
  for (const m of mets) {
    select.push(`${source.metric(m)} AS \`${m.name}\``);
    columns.push({ name: m.name, kind: "metric", type: m.type });
  }

  const selected = new Set(columns.map((c) => c.name));
  const order = request.orderBy.map((o, i) => {
    if (!selected.has(o.field)) {
      throw ValidationError.field(
        `order_by[${i}].field`,
        `${echo(o.field)} is not a selected dimension, metric or bucket`,
      );
    }
    return `\`${o.field}\` ${o.direction === SortDirection.DESC ? "DESC" : "ASC"}`;
  });
  const defaultOrder = keys.length > 0 ? keys.map((k) => `${k} ASC`) : [];
  const orderBy = [...order, ...defaultOrder].join(", ") || "1";

  const filters = compileFilters(request.filters, "filters", "f", source.metric, dimensionSql);
  const grouped = keys.length > 0;
  const groupingFlag = grouped ? `grouping(${keys[0]})` : "1";
  const inner = `SELECT
    ${select.join(",\n    ")},
    ${groupingFlag} AS __is_total
  FROM ${database}.${source.from}
  WHERE organization_id = {organization_id:String}
    AND ${source.timePredicate}${filters.where}
  ${grouped ? `GROUP BY GROUPING SETS ((${keys.join(", ")}), ())` : ""}
  ${filters.having ? `HAVING __is_total = 1 OR (1${filters.having})` : ""}`;
  // Paging needs window functions (row numbers, the count of all groups); a question that
  // takes every group at once skips them, and a result over the limit is refused, not cut.
  const paged = request.offset > 0 || limit < rowCap;
  const sql = paged
    ? `SELECT * FROM (
  SELECT *,
    countIf(__is_total = 0) OVER () AS __total_rows,
    row_number() OVER (PARTITION BY __is_total ORDER BY ${orderBy}) AS __rn
  FROM (${inner})
)
WHERE __is_total = 1 OR (__rn > {offset:UInt64} AND __rn <= {offset_end:UInt64})
ORDER BY __is_total DESC, __rn`
    : `${inner}
  ORDER BY __is_total DESC, ${orderBy}
  LIMIT {row_limit:UInt64}`;
  return {
    sql,
    params: {
      ...(rewritten ? campaign?.params : {}),
      ...filters.params,
      organization_id: organizationId,
      ...rangeParams(range),
      offset: request.offset,
      offset_end: request.offset + limit,
      row_limit: limit + 2,
    },
    columns,
    range,
    granularity,
    table: source.table,
    paged,
    limit,
  };
}
