import { create } from "@bufbuild/protobuf";
import { DateRangeSchema } from "@trellis/contracts";
import { parseDate, supportedTime } from "@trellis/platform";
import type { createParams } from "./params.js";

type Params = ReturnType<typeof createParams>;
const DAY_MS = 86_400_000;
const isoDate = (time: number) => new Date(time).toISOString().slice(0, 10);

/** The query string parameters of a date range. */
export const rangeParams = ["start_date", "end_date", "time_zone"] as const;

/**
 * The one reader of a REST date range: start_date/end_date/time_zone. Without `defaultDays`
 * both dates are required; with it, end defaults to today and start to `defaultDays` before it
 * (never before the first supported date). Given dates are checked by the query service
 * (platform `parseDate`); an end date a default start is counted back from is read here first,
 * with the same function, so no date arithmetic runs on a value that is not a date.
 */
export function dateRangeOf(params: Params, options: { defaultDays?: number } = {}) {
  const timeZone = params.string("time_zone");
  if (options.defaultDays === undefined) {
    return create(DateRangeSchema, {
      startDate: params.required("start_date"),
      endDate: params.required("end_date"),
      timeZone,
    });
  }
  const endDate = params.string("end_date") || isoDate(Date.now());
  let startDate = params.string("start_date");
  if (!startDate) {
    const end = parseDate(endDate, "range.end_date").getTime();
    startDate = isoDate(Math.max(supportedTime.firstMs, end - (Math.max(options.defaultDays, 1) - 1) * DAY_MS));
  }
  return create(DateRangeSchema, { startDate, endDate, timeZone });
}
