import type { Value } from "@bufbuild/protobuf/wkt";
import { type Filter, FilterOperator } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { findDimension } from "./catalogue.js";

export interface CompiledPredicate {
  sql: string;
  params: Record<string, unknown>;
}

type Scalar = string | number | boolean;

function scalar(value: Value | undefined, field: string): Scalar {
  switch (value?.kind.case) {
    case "stringValue":
    case "numberValue":
    case "boolValue":
      return value.kind.value;
    default:
      throw ValidationError.field(field, "expected a string, number or boolean");
  }
}

/** Compiles filters over catalogue dimensions into a predicate with bound parameters only. */
export function compileFilters(filters: readonly Filter[], path: string, paramPrefix = "f"): CompiledPredicate {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  filters.forEach((filter, index) => {
    const at = `${path}[${index}]`;
    const dimension = findDimension(filter.field);
    if (!dimension) throw ValidationError.field(`${at}.field`, `unknown dimension "${filter.field}"`);
    const type = dimension.type === "String" ? "String" : "Bool";
    const name = `${paramPrefix}${index}`;
    const column = dimension.sql;
    const bindOne = () => {
      const v = scalar(filter.value, `${at}.value`);
      params[name] = type === "Bool" ? Boolean(v) : String(v);
      return `{${name}:${type}}`;
    };
    const bindMany = () => {
      if (filter.values.length === 0) throw ValidationError.field(`${at}.values`, "must not be empty");
      if (filter.values.length > 1000) throw ValidationError.field(`${at}.values`, "must have at most 1000 values");
      params[name] = filter.values.map((v, i) => String(scalar(v, `${at}.values[${i}]`)));
      return `{${name}:Array(String)}`;
    };
    const requireString = () => {
      if (type !== "String")
        throw ValidationError.field(`${at}.operator`, `not allowed on ${dimension.type} dimension`);
    };
    switch (filter.operator) {
      case FilterOperator.EQ:
        clauses.push(`${column} = ${bindOne()}`);
        break;
      case FilterOperator.NEQ:
        clauses.push(`${column} != ${bindOne()}`);
        break;
      case FilterOperator.IN:
        requireString();
        clauses.push(`has(${bindMany()}, ${column})`);
        break;
      case FilterOperator.NOT_IN:
        requireString();
        clauses.push(`NOT has(${bindMany()}, ${column})`);
        break;
      case FilterOperator.CONTAINS:
        requireString();
        clauses.push(`position(${column}, ${bindOne()}) > 0`);
        break;
      case FilterOperator.STARTS_WITH:
        requireString();
        clauses.push(`startsWith(${column}, ${bindOne()})`);
        break;
      case FilterOperator.IS_NULL:
        requireString();
        clauses.push(`${column} = ''`);
        break;
      case FilterOperator.IS_NOT_NULL:
        requireString();
        clauses.push(`${column} != ''`);
        break;
      case FilterOperator.GT:
      case FilterOperator.GTE:
      case FilterOperator.LT:
      case FilterOperator.LTE:
        throw ValidationError.field(`${at}.operator`, `not allowed on dimension "${filter.field}"; use it on a metric`);
      default:
        throw ValidationError.field(`${at}.operator`, "is required");
    }
  });
  return { sql: clauses.map((c) => ` AND ${c}`).join(""), params };
}
