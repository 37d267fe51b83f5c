import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  AnalyticsService,
  DateRangeSchema,
  FilterOperator,
  FilterSchema,
  GranularitySchema,
  OrderBySchema,
  RunReportRequestSchema,
  RunSqlRequestSchema,
  SortDirection,
  StreamReportRequestSchema,
  type StreamReportResponse,
} from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { object, only, strings, text, whole } from "./json-body.js";
import type { RestRoute } from "./route.js";

const operators: Record<string, FilterOperator> = {
  eq: FilterOperator.EQ,
  neq: FilterOperator.NEQ,
  in: FilterOperator.IN,
  not_in: FilterOperator.NOT_IN,
  gt: FilterOperator.GT,
  gte: FilterOperator.GTE,
  lt: FilterOperator.LT,
  lte: FilterOperator.LTE,
  contains: FilterOperator.CONTAINS,
  starts_with: FilterOperator.STARTS_WITH,
  is_null: FilterOperator.IS_NULL,
  is_not_null: FilterOperator.IS_NOT_NULL,
};

/** The seed's custom-report body, e.g. {"dimensions":["source"],"metrics":["clicks"],"filters":[{"field":"source","operator":"in","values":["google"]}],"time_range":{"start":"2024-01-01","end":"2024-01-31"},"group_by":"day","order_by":[{"field":"clicks","direction":"desc"}],"limit":100}. */
export function parseReportBody(body: unknown) {
  const root = object(body, "body");
  only(root, "", [
    "dimensions",
    "metrics",
    "filters",
    "time_range",
    "group_by",
    "order_by",
    "limit",
    "offset",
    "as_of_ruleset_version",
  ]);
  const range = object(root.time_range, "time_range");
  only(range, "time_range", ["start", "end", "start_date", "end_date", "time_zone"]);
  const filters = root.filters === undefined ? [] : root.filters;
  if (!Array.isArray(filters)) throw ValidationError.field("filters", "must be an array");
  const orderBy = root.order_by === undefined ? [] : root.order_by;
  if (!Array.isArray(orderBy)) throw ValidationError.field("order_by", "must be an array");
  const groupBy = text(root.group_by, "group_by");
  const granularity = groupBy
    ? GranularitySchema.values.find((v) => v.number !== 0 && v.localName.toLowerCase() === groupBy.toLowerCase())
    : undefined;
  if (groupBy && !granularity)
    throw ValidationError.field("group_by", "expected one of minute, hour, day, week, month");
  return create(RunReportRequestSchema, {
    dimensions: strings(root.dimensions, "dimensions"),
    metrics: strings(root.metrics, "metrics"),
    range: create(DateRangeSchema, {
      startDate: text(range.start ?? range.start_date, "time_range.start"),
      endDate: text(range.end ?? range.end_date, "time_range.end"),
      timeZone: text(range.time_zone, "time_range.time_zone"),
    }),
    groupBy: granularity?.number ?? 0,
    filters: filters.map((raw, i) => {
      const filter = object(raw, `filters[${i}]`);
      only(filter, `filters[${i}]`, ["field", "operator", "value", "values"]);
      const operator = operators[text(filter.operator, `filters[${i}].operator`)];
      if (operator === undefined)
        throw ValidationError.field(`filters[${i}].operator`, `expected one of ${Object.keys(operators).join(", ")}`);
      const values = filter.values === undefined ? [] : filter.values;
      if (!Array.isArray(values)) throw ValidationError.field(`filters[${i}].values`, "must be an array");
      return create(FilterSchema, {
        field: text(filter.field, `filters[${i}].field`),
        operator,
        value: filter.value === undefined ? undefined : fromJson(ValueSchema, filter.value as JsonValue),
        values: values.map((v) => fromJson(ValueSchema, v as JsonValue)),
      });
    }),
    orderBy: orderBy.map((raw, i) => {
      const order = object(raw, `order_by[${i}]`);
      only(order, `order_by[${i}]`, ["field", "direction"]);
      const direction = text(order.direction, `order_by[${i}].direction`).toLowerCase();
      if (direction && direction !== "asc" && direction !== "desc")
        throw ValidationError.field(`order_by[${i}].direction`, "expected asc or desc");
      return create(OrderBySchema, {
        field: text(order.field, `order_by[${i}].field`),
        direction: direction === "desc" ? SortDirection.DESC : SortDirection.ASC,
      });
    }),
    limit: whole(root.limit, "limit"),
    offset: whole(root.offset, "offset"),
    asOfRulesetVersion: BigInt(whole(root.as_of_ruleset_version, "as_of_ruleset_version")),
  });
}

export const runReportRoute: RestRoute = {
  method: "POST",
  path: "/api/v1/analytics/query",
  rpc: AnalyticsService.method.runReport,
  reusable: true,
  parse: ({ body }) => parseReportBody(body),
};

export const runSqlRoute: RestRoute = {
  method: "POST",
  path: "/api/v1/sql",
  rpc: AnalyticsService.method.runSql,
  parse({ body }) {
    const root = object(body, "body");
    only(root, "", ["sql", "parameters", "max_rows"]);
    const parameters = root.parameters === undefined ? {} : object(root.parameters, "parameters");
    for (const [name, value] of Object.entries(parameters)) {
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        throw ValidationError.field(`parameters.${name}`, "must be a string, number or boolean");
      }
    }
    return create(RunSqlRequestSchema, {
      sql: text(root.sql, "sql"),
      parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, String(v)])),
      maxRows: whole(root.max_rows, "max_rows"),
    });
  },
};

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Any report as CSV (a header row first) or NDJSON, streamed: POST /api/v1/analytics/query/export?format=csv. */
export const exportReportRoute: RestRoute = {
  method: "POST",
  path: "/api/v1/analytics/query/export",
  rpc: AnalyticsService.method.streamReport,
  parse() {
    throw new Error("exports are read by download()");
  },
  download({ query, body }, stream) {
    const format = query.get("format") ?? "ndjson";
    for (const name of query.keys()) {
      if (name !== "format") throw ValidationError.field(name, "unknown parameter; expected format");
    }
    if (format !== "csv" && format !== "ndjson") throw ValidationError.field("format", "expected csv or ndjson");
    const request = create(StreamReportRequestSchema, { report: parseReportBody(body), chunkRows: 10_000 });
    async function* lines(): AsyncIterable<string> {
      let names: string[] = [];
      for await (const message of stream(request)) {
        const chunk = message as StreamReportResponse;
        if (chunk.columns.length > 0) {
          names = chunk.columns.map((c) => c.name);
          if (format === "csv") yield `${names.map(csvCell).join(",")}\n`;
        }
        if (chunk.rows.length === 0) continue;
        yield chunk.rows
          .map((row) =>
            format === "csv" ? `${names.map((n) => csvCell(row[n])).join(",")}\n` : `${JSON.stringify(row)}\n`,
          )
          .join("");
      }
    }
    return { contentType: format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson", lines: lines() };
  },
};
