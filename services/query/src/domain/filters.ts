import type { Value } from "@bufbuild/protobuf/wkt";
import { type Filter, FilterOperator } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { type Dimension, findDimension, findMetric, type Metric, operatorsFor } from "@trellis/traffic-rules";
import { checkFilterLimits } from "./input-limits.js";

export interface CompiledFilters {
  /** " AND …" clauses over dimensions, for WHERE. */
  where: string;
  /** " AND …" clauses over metrics, for HAVING. */
  having: string;
  params: Record<string, unknown>;
}

const operatorNames: Record<number, string> = {
  [FilterOperator.EQ]: "eq",
  [FilterOperator.NEQ]: "neq",
  [FilterOperator.IN]: "in",
  [FilterOperator.NOT_IN]: "not_in",
  [FilterOperator.GT]: "gt",
  [FilterOperator.GTE]: "gte",
  [FilterOperator.LT]: "lt",
  [FilterOperator.LTE]: "lte",
  [FilterOperator.CONTAINS]: "contains",
  [FilterOperator.STARTS_WITH]: "starts_with",
  [FilterOperator.IS_NULL]: "is_null",
  [FilterOperator.IS_NOT_NULL]: "is_not_null",
};

const comparison: Partial<Record<FilterOperator, string>> = {
  [FilterOperator.EQ]: "=",
  [FilterOperator.NEQ]: "!=",
  [FilterOperator.GT]: ">",
  [FilterOperator.GTE]: ">=",
  [FilterOperator.LT]: "<",
  [FilterOperator.LTE]: "<=",
};

type FieldType = Dimension["type"] | Metric["type"];

function bindType(type: FieldType): string {
  return type === "Float64" || type === "UInt64" ? "Float64" : type;
}

function coerce(value: Value | undefined, type: FieldType, field: string): string | number | boolean {
  const kind = value?.kind;
  if (type === "String") {
    if (kind?.case === "stringValue") return kind.value;
    if (kind?.case === "numberValue") return String(kind.value);
    throw ValidationError.field(field, "expected a string");
  }
  if (type === "Bool") {
    if (kind?.case === "boolValue") return kind.value;
    throw ValidationError.field(field, "expected true or false");
  }
  if (kind?.case === "numberValue" && Number.isFinite(kind.value)) {
    if (type === "UInt32" && (!Number.isInteger(kind.value) || kind.value < 0)) {
      throw ValidationError.field(field, "expected a whole number of 0 or more");
    }
    return kind.value;
  }
  if (kind?.case === "stringValue" && kind.value.trim() !== "" && Number.isFinite(Number(kind.value))) {
    return Number(kind.value);
  }
  throw ValidationError.field(field, "expected a number");
}

/**
 * Compiles filters into predicates with bound parameters only: dimensions filter rows
 * (WHERE), metrics filter groups (HAVING). Every name comes from the catalogue. Within the
 * input limits (their count, names, values) or refused before anything is compiled.
 */
export function compileFilters(
  filters: readonly Filter[],
  path: string,
  paramPrefix = "f",
  metricSql: (metric: Metric) => string = (m) => m.sql,
  dimensionSql: (dimension: Dimension) => string = (d) => d.sql,
): CompiledFilters {
  const where: string[] = [];
  const having: string[] = [];
  const params: Record<string, unknown> = {};
  checkFilterLimits(filters, path);
  filters.forEach((filter, index) => {
    const at = `${path}[${index}]`;
    const dimension = findDimension(filter.field);
    const metric = dimension ? undefined : findMetric(filter.field);
    const field = dimension ?? metric;
    if (!field) throw ValidationError.field(`${at}.field`, `unknown dimension or metric "${filter.field}"`);
    if (!operatorsFor(field.type).includes(filter.operator)) {
      const allowed = operatorsFor(field.type).map((o) => operatorNames[o]);
      const given = operatorNames[filter.operator];
      throw ValidationError.field(
        `${at}.operator`,
        given
          ? `${given} does not apply to ${field.type} field "${field.name}"; use one of ${allowed.join(", ")}`
          : `is required: one of ${allowed.join(", ")}`,
      );
    }
    const name = `${paramPrefix}${index}`;
    const type = bindType(field.type);
    const bindOne = () => {
      params[name] = coerce(filter.value, field.type, `${at}.value`);
      return `{${name}:${type}}`;
    };
    const bindMany = () => {
      if (filter.values.length === 0) throw ValidationError.field(`${at}.values`, "must not be empty");
      params[name] = filter.values.map((v, i) => coerce(v, field.type, `${at}.values[${i}]`));
      return `{${name}:Array(${type})}`;
    };
    const column = metric ? metricSql(metric) : dimension ? dimensionSql(dimension) : "";
    let clause: string;
    switch (filter.operator) {
      case FilterOperator.IN:
        clause = `has(${bindMany()}, ${column})`;
        break;
      case FilterOperator.NOT_IN:
        clause = `NOT has(${bindMany()}, ${column})`;
        break;
      case FilterOperator.CONTAINS:
        clause = `position(${column}, ${bindOne()}) > 0`;
        break;
      case FilterOperator.STARTS_WITH:
        clause = `startsWith(${column}, ${bindOne()})`;
        break;
      case FilterOperator.IS_NULL:
        clause = `${column} = ''`;
        break;
      case FilterOperator.IS_NOT_NULL:
        clause = `${column} != ''`;
        break;
      default:
        clause = `${column} ${comparison[filter.operator]} ${bindOne()}`;
    }
    (dimension ? where : having).push(clause);
  });
  return {
    where: where.map((c) => ` AND ${c}`).join(""),
    having: having.map((c) => ` AND ${c}`).join(""),
    params,
  };
}
