import { Granularity } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";

/** Start of the bucket an event falls in, as text in the range's time zone ({tz:String}). */
export function bucketExpression(granularity: Granularity): string {
  switch (granularity) {
    case Granularity.MINUTE:
      return "formatDateTime(toStartOfMinute(event_time, {tz:String}), '%Y-%m-%dT%H:%i:00', {tz:String})";
    case Granularity.HOUR:
      return "formatDateTime(toStartOfHour(event_time, {tz:String}), '%Y-%m-%dT%H:00:00', {tz:String})";
    case Granularity.DAY:
      return "toString(toDate(event_time, {tz:String}))";
    case Granularity.WEEK:
      return "toString(toStartOfWeek(event_time, 1, {tz:String}))";
    case Granularity.MONTH:
      return "toString(toStartOfMonth(event_time, {tz:String}))";
    default:
      throw ValidationError.field("group_by", "is not a known granularity");
  }
}

export function bucketsPerDay(granularity: Granularity): number {
  if (granularity === Granularity.MINUTE) return 1440;
  if (granularity === Granularity.HOUR) return 24;
  return 1;
}

/** The time-range predicate shared by every query over events (partition and key pruning included). */
export const timeRangePredicate = `event_date BETWEEN {scan_start:Date} AND {scan_end:Date}
  AND event_time >= toDateTime64({start:String}, 3, {tz:String})
  AND event_time < toDateTime64({end_exclusive:String}, 3, {tz:String})`;
