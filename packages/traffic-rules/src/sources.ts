import { Granularity } from "@trellis/contracts";
import { type RollupSpec, rollupDimensions, rollups } from "@trellis/store";
import type { Metric } from "./catalogue.js";
import type { ResolvedRange } from "./dates.js";
import { bucketExpression, timeRangePredicate } from "./time-bucket.js";

/** Where a report reads from: raw events or a rollup, with the SQL that differs between them. */
export interface Source {
  /** "analytics_events", "events_hourly" or "events_daily": what answered, reported in meta. */
  table: string;
  /** FROM clause target after the database: rollups are aliased `r`, which their metric SQL names. */
  from: string;
  timePredicate: string;
  bucket(granularity: Granularity): string;
  metric(metric: Metric): string;
}

export const rawSource: Source = {
  table: "analytics_events",
  from: "analytics_events",
  timePredicate: timeRangePredicate,
  bucket: bucketExpression,
  metric: (m) => m.sql,
};

function rollupSource(spec: RollupSpec): Source {
  const column = spec.bucketColumn;
  const metric = spec.layout === "totals" ? (m: Metric) => m.totalsSql ?? m.rollupSql : (m: Metric) => m.rollupSql;
  if (column === "day") {
    // Only chosen when the zone is UTC throughout, so a UTC day is a day of the range.
    return {
      table: spec.name,
      from: `${spec.name} AS r`,
      timePredicate: "day BETWEEN {start_date:Date} AND {end_date:Date}",
      bucket(granularity) {
        if (granularity === Granularity.WEEK) return "toString(toStartOfWeek(day, 1))";
        if (granularity === Granularity.MONTH) return "toString(toStartOfMonth(day))";
        return "toString(day)";
      },
      metric,
    };
  }
  // Only chosen when every offset of the zone in the range is whole hours, so UTC hours tile local days.
  return {
    table: spec.name,
    from: `${spec.name} AS r`,
    timePredicate:
      "hour >= toDateTime({start:String}, {tz:String}) AND hour < toDateTime({end_exclusive:String}, {tz:String})",
    bucket(granularity) {
      switch (granularity) {
        case Granularity.HOUR:
          return "formatDateTime(hour, '%Y-%m-%dT%H:00:00', {tz:String})";
        case Granularity.WEEK:
          return "toString(toStartOfWeek(hour, 1, {tz:String}))";
        case Granularity.MONTH:
          return "toString(toStartOfMonth(hour, {tz:String}))";
        default:
          return "toString(toDate(hour, {tz:String}))";
      }
    },
    metric,
  };
}

/** Rollups from the fewest rows per day to the most: the first that fits answers. */
const dailyRollups = rollups
  .filter((r) => r.bucketColumn === "day")
  .sort((a, b) => a.dimensions.length - b.dimensions.length);
const hourlyRollups = rollups
  .filter((r) => r.bucketColumn === "hour")
  .sort((a, b) => a.dimensions.length - b.dimensions.length);
const rollupDimensionSet = new Set<string>(rollupDimensions);

/** UTC offsets (minutes) the zone takes at the range's edges and at every month start in between. */
function offsetsOver(range: ResolvedRange): number[] {
  const start = Date.parse(`${range.startDate}T00:00:00Z`) - 86_400_000;
  const end = Date.parse(`${range.endDate}T00:00:00Z`) + 2 * 86_400_000;
  const format = new Intl.DateTimeFormat("en-US", { timeZone: range.timeZone, timeZoneName: "longOffset" });
  const offsets = new Set<number>();
  const sample = (time: number) => {
    const name = format.formatToParts(new Date(time)).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
    const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    offsets.add(match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0)) : 0);
  };
  for (let time = start; time < end; time += 28 * 86_400_000) sample(time);
  sample(end);
  return [...offsets];
}

export interface RoutingQuestion {
  granularity: Granularity;
  range: ResolvedRange;
  dimensions: readonly string[];
  filterFields: readonly string[];
}

/**
 * The smallest source that answers exactly: the daily rollup for UTC ranges at day grain or
 * coarser, the hourly rollup when the zone's offsets are whole hours, raw events otherwise
 * (minutes, dimensions or filters a rollup does not keep, half-hour zones).
 */
export type SourcePreference =
  | "auto"
  | "raw"
  | "events_hourly"
  | "events_daily"
  | "events_daily_overview"
  | "events_daily_totals";

export function chooseSource(question: RoutingQuestion, preference: SourcePreference = "auto"): Source {
  if (preference === "raw") return rawSource;
  const fields = [...question.dimensions, ...question.filterFields];
  if (question.granularity === Granularity.MINUTE || !fields.every((f) => rollupDimensionSet.has(f))) return rawSource;
  const offsets = offsetsOver(question.range);
  const dailyFits = question.granularity !== Granularity.HOUR && offsets.every((o) => o === 0);
  const hourlyFits = offsets.every((o) => o % 60 === 0);
  const keeps = (spec: RollupSpec) => fields.every((f) => (spec.dimensions as readonly string[]).includes(f));
  const candidates = [...(dailyFits ? dailyRollups : []), ...(hourlyFits ? hourlyRollups : [])].filter(keeps);
  const chosen = preference === "auto" ? candidates[0] : candidates.find((c) => c.name === preference);
  return chosen ? rollupSource(chosen) : rawSource;
}
