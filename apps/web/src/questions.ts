import type { MessageInitShape } from "@bufbuild/protobuf";
import type { FilterSchema } from "@trellis/contracts";
import { type Filter, FilterOperator, Granularity } from "@trellis/contracts";
import { daysBetween, type ViewState } from "./view-state.js";

/** The parts of every question that come from the page's state. */
export function rangeOf(view: Pick<ViewState, "from" | "to" | "timeZone">) {
  return { startDate: view.from, endDate: view.to, timeZone: view.timeZone };
}

export function filtersOf(view: Pick<ViewState, "filters">): MessageInitShape<typeof FilterSchema>[] {
  return view.filters.map((f) => ({
    field: f.field,
    operator: FilterOperator.EQ,
    value: { kind: { case: "stringValue", value: f.value } },
  }));
}

/** Buckets of the traffic chart: hours for a day or two, days up to a quarter, weeks beyond. */
export function granularityFor(view: Pick<ViewState, "from" | "to">): Granularity {
  const days = daysBetween(view.from, view.to);
  if (days <= 2) return Granularity.HOUR;
  if (days <= 92) return Granularity.DAY;
  return Granularity.WEEK;
}

/** A report cell as a number (the API sends counts as numbers or decimal strings). */
export function cellNumber(row: Record<string, unknown>, name: string): number {
  const value = row[name];
  if (typeof value === "number") return value;
  if (typeof value === "string" && value !== "") return Number(value);
  return 0;
}

export function cellText(row: Record<string, unknown>, name: string): string {
  const value = row[name];
  return value === null || value === undefined ? "" : String(value);
}

export type { Filter };
