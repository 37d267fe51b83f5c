import type { Value } from "@bufbuild/protobuf/wkt";
import type { Filter, GetFunnelRequest, RunReportRequest } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";

/**
 * Ceilings on the size of a question, the same whichever way it came (REST, Connect, gRPC),
 * checked before anything is compiled; each refusal names the field and the limit. They keep
 * a statement and its bound values well inside what the engine parses in one go
 * (max_query_size, 256 KiB, for the statement and for the SET that binds its parameters; a
 * value can take four times its length there, escaped twice): a report with ten thousand
 * filters used to fail there, as an internal error.
 */
export const inputLimits = {
  /** Filters of one list (a report's, a funnel step's). */
  filters: 64,
  /** Values of one in / not_in filter. */
  valuesPerFilter: 1000,
  /** Values of all the filters of one question together. */
  values: 2000,
  /** Characters of one filter value (a long landing path fits). */
  valueChars: 2048,
  /** Characters of all the filter values of one question together (numbers as written). */
  totalValueChars: 32_768,
  /** Characters of a dimension, metric or field name; the catalogue's are far shorter. */
  nameChars: 128,
  /** Sort keys of a report: one per selectable column (8 dimensions, 24 metrics, the bucket). */
  orderBy: 33,
} as const;

function atMost(field: string, limit: number, what: string, got: number): ValidationError {
  return ValidationError.field(field, `must have at most ${limit} ${what} (got ${got})`);
}

function checkName(name: string, field: string): void {
  if (name.length > inputLimits.nameChars) throw atMost(field, inputLimits.nameChars, "characters", name.length);
}

/** The filter values of one question so far, against the question-wide limits. */
interface Tally {
  readonly path: string;
  values: number;
  chars: number;
}

function textLength(value: Value | undefined): number {
  const kind = value?.kind;
  switch (kind?.case) {
    case "stringValue":
      return kind.value.length;
    case "numberValue":
      return String(kind.value).length;
    case "boolValue":
      return 1;
    default:
      // Lists and objects are refused as values when the filter is compiled.
      return 0;
  }
}

function countValue(value: Value | undefined, field: string, tally: Tally): void {
  const length = textLength(value);
  if (length > inputLimits.valueChars) throw atMost(field, inputLimits.valueChars, "characters", length);
  tally.values++;
  tally.chars += length;
  if (tally.values > inputLimits.values)
    throw atMost(tally.path, inputLimits.values, "filter values in all", tally.values);
  if (tally.chars > inputLimits.totalValueChars) {
    throw ValidationError.field(
      tally.path,
      `must have at most ${inputLimits.totalValueChars} characters of filter values in all (${field} goes past it)`,
    );
  }
}

/**
 * One list of filters: how many, their field names, the count and length of their values.
 * `tally` carries the question-wide totals across lists (a funnel's steps).
 */
export function checkFilterLimits(
  filters: readonly Filter[],
  path: string,
  tally: Tally = { path, values: 0, chars: 0 },
): void {
  if (filters.length > inputLimits.filters) throw atMost(path, inputLimits.filters, "filters", filters.length);
  for (const [index, filter] of filters.entries()) {
    const at = `${path}[${index}]`;
    checkName(filter.field, `${at}.field`);
    if (filter.value !== undefined) countValue(filter.value, `${at}.value`, tally);
    if (filter.values.length > inputLimits.valuesPerFilter)
      throw atMost(`${at}.values`, inputLimits.valuesPerFilter, "values", filter.values.length);
    for (const [i, value] of filter.values.entries()) countValue(value, `${at}.values[${i}]`, tally);
  }
}

/** Every name and list of a custom report within the limits (the counts of dimensions and metrics: compileReport). */
export function checkReportLimits(request: RunReportRequest): void {
  for (const [i, name] of request.dimensions.entries()) checkName(name, `dimensions[${i}]`);
  for (const [i, name] of request.metrics.entries()) checkName(name, `metrics[${i}]`);
  if (request.orderBy.length > inputLimits.orderBy)
    throw atMost("order_by", inputLimits.orderBy, "entries", request.orderBy.length);
  for (const [i, order] of request.orderBy.entries()) checkName(order.field, `order_by[${i}].field`);
  checkFilterLimits(request.filters, "filters");
}

/** A funnel's filters: each step's list, and the values of all steps together. */
export function checkFunnelLimits(request: GetFunnelRequest): void {
  const tally: Tally = { path: "steps", values: 0, chars: 0 };
  for (const [i, step] of request.steps.entries()) checkFilterLimits(step.filters, `steps[${i}].filters`, tally);
}
