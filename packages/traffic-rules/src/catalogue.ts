import { FilterOperator } from "@trellis/contracts";

/** A dimension users may group or filter by; `sql` is trusted text, never user input. */
export interface Dimension {
  name: string;
  sql: string;
  type: "String" | "Bool" | "UInt32";
  description: string;
}

/** A metric: an aggregate over the events of a group. `sql` is trusted text. */
export interface Metric {
  name: string;
  sql: string;
  /** The same aggregate over a rollup's partial aggregates, giving the identical result. */
  rollupSql: string;
  /** The same over a rollup of the "totals" layout (event types as columns), where it differs. */
  totalsSql?: string;
  type: "UInt64" | "Float64";
  description: string;
}

export const dimensions: readonly Dimension[] = [
  { name: "event_type", sql: "event_type", type: "String", description: "click, pageview, conversion or custom" },
  { name: "event_name", sql: "event_name", type: "String", description: "Conversion or custom event name" },
  { name: "source", sql: "source", type: "String", description: "Traffic source (utm_source, click id or referrer)" },
  { name: "medium", sql: "medium", type: "String", description: "Traffic medium (utm_medium or derived)" },
  {
    name: "campaign_id",
    sql: "campaign_id",
    type: "String",
    description: "Campaign captured at ingest (utm_campaign)",
  },
  { name: "term", sql: "term", type: "String", description: "utm_term" },
  { name: "content", sql: "content", type: "String", description: "utm_content" },
  { name: "channel", sql: "channel", type: "String", description: "Marketing channel" },
  { name: "click_id_type", sql: "click_id_type", type: "String", description: "Kind of click id (gclid, fbclid, …)" },
  {
    name: "referrer_class",
    sql: "referrer_class",
    type: "String",
    description: "search, social, email, paid, internal, direct, other",
  },
  { name: "referrer_host", sql: "referrer_host", type: "String", description: "Host of the referrer" },
  { name: "landing_host", sql: "landing_host", type: "String", description: "Host of the landing URL" },
  { name: "landing_path", sql: "landing_path", type: "String", description: "Path of the landing URL" },
  { name: "country", sql: "country", type: "String", description: "ISO 3166-1 alpha-2 country" },
  { name: "region", sql: "region", type: "String", description: "Region or state" },
  { name: "city", sql: "city", type: "String", description: "City" },
  { name: "device_type", sql: "device_type", type: "String", description: "desktop, mobile, tablet, bot, …" },
  { name: "browser", sql: "browser", type: "String", description: "Browser family" },
  { name: "os", sql: "os", type: "String", description: "Operating system family" },
  { name: "conversion_name", sql: "conversion_name", type: "String", description: "Name of a conversion event" },
  { name: "currency", sql: "currency", type: "String", description: "Currency of a conversion" },
  { name: "is_bot", sql: "is_bot", type: "Bool", description: "Whether the event came from a known crawler" },
  { name: "asn", sql: "asn", type: "UInt32", description: "Autonomous system number of the client network" },
];

export const metrics: readonly Metric[] = [
  { name: "events", sql: "count()", rollupSql: "sum(r.events)", type: "UInt64", description: "Events of any type" },
  {
    name: "clicks",
    sql: "countIf(event_type = 'click')",
    rollupSql: "sumIf(r.events, r.event_type = 'click')",
    totalsSql: "sum(r.clicks)",
    type: "UInt64",
    description: "Click events",
  },
  {
    name: "pageviews",
    sql: "countIf(event_type = 'pageview')",
    rollupSql: "sumIf(r.events, r.event_type = 'pageview')",
    totalsSql: "sum(r.pageviews)",
    type: "UInt64",
    description: "Page views",
  },
  {
    name: "conversions",
    sql: "countIf(event_type = 'conversion')",
    rollupSql: "sumIf(r.events, r.event_type = 'conversion')",
    totalsSql: "sum(r.conversions)",
    type: "UInt64",
    description: "Conversion events",
  },
  {
    name: "revenue",
    sql: "toFloat64(sumIf(conversion_value, event_type = 'conversion'))",
    rollupSql: "toFloat64(sumIf(r.revenue, r.event_type = 'conversion'))",
    totalsSql: "toFloat64(sum(r.revenue))",
    type: "Float64",
    description: "Sum of conversion values",
  },
  {
    name: "visitors",
    sql: "uniqExactIf(visitor_id, visitor_id != '')",
    rollupSql: "uniqExactIfMerge(r.visitors)",
    type: "UInt64",
    description: "Distinct visitors",
  },
  {
    name: "sessions",
    sql: "uniqExactIf(session_id, session_id != '')",
    rollupSql: "uniqExactIfMerge(r.sessions)",
    type: "UInt64",
    description: "Distinct sessions",
  },
  {
    name: "unique_clicks",
    sql: "uniqExactIf(click_id, click_id != '')",
    rollupSql: "uniqExactIfMerge(r.click_ids)",
    type: "UInt64",
    description: "Distinct click ids",
  },
  {
    name: "bot_events",
    sql: "countIf(is_bot)",
    rollupSql: "sumIf(r.events, r.is_bot)",
    type: "UInt64",
    description: "Events from known crawlers",
  },
  {
    name: "conversion_rate",
    sql: "ifNotFinite(countIf(event_type = 'conversion') / uniqExactIf(session_id, session_id != ''), 0)",
    rollupSql: "ifNotFinite(sumIf(r.events, r.event_type = 'conversion') / uniqExactIfMerge(r.sessions), 0)",
    totalsSql: "ifNotFinite(sum(r.conversions) / uniqExactIfMerge(r.sessions), 0)",
    type: "Float64",
    description: "Conversions per session",
  },
  {
    name: "average_order_value",
    sql: "ifNotFinite(toFloat64(sumIf(conversion_value, event_type = 'conversion')) / countIf(event_type = 'conversion'), 0)",
    rollupSql:
      "ifNotFinite(toFloat64(sumIf(r.revenue, r.event_type = 'conversion')) / sumIf(r.events, r.event_type = 'conversion'), 0)",
    totalsSql: "ifNotFinite(toFloat64(sum(r.revenue)) / sum(r.conversions), 0)",
    type: "Float64",
    description: "Revenue per conversion",
  },
  {
    name: "average_fraud_score",
    sql: "ifNotFinite(avg(fraud_score), 0)",
    rollupSql: "ifNotFinite(sum(r.fraud_score_sum) / sum(r.events), 0)",
    type: "Float64",
    description: "Mean fraud score (0-100)",
  },
  {
    name: "average_quality_score",
    sql: "ifNotFinite(avg(quality_score), 0)",
    rollupSql: "ifNotFinite(sum(r.quality_score_sum) / sum(r.events), 0)",
    type: "Float64",
    description: "Mean quality score (0-100)",
  },
];

const dimensionsByName = new Map(dimensions.map((d) => [d.name, d]));
const metricsByName = new Map(metrics.map((m) => [m.name, m]));

export function findDimension(name: string): Dimension | undefined {
  return dimensionsByName.get(name);
}

export function findMetric(name: string): Metric | undefined {
  return metricsByName.get(name);
}

export const stringOperators = [
  FilterOperator.EQ,
  FilterOperator.NEQ,
  FilterOperator.IN,
  FilterOperator.NOT_IN,
  FilterOperator.CONTAINS,
  FilterOperator.STARTS_WITH,
  FilterOperator.IS_NULL,
  FilterOperator.IS_NOT_NULL,
];

export const numericOperators = [
  FilterOperator.EQ,
  FilterOperator.NEQ,
  FilterOperator.GT,
  FilterOperator.GTE,
  FilterOperator.LT,
  FilterOperator.LTE,
  FilterOperator.IN,
  FilterOperator.NOT_IN,
];

export function operatorsFor(type: Dimension["type"] | Metric["type"]): FilterOperator[] {
  if (type === "String") return stringOperators;
  if (type === "Bool") return [FilterOperator.EQ, FilterOperator.NEQ];
  return numericOperators;
}
