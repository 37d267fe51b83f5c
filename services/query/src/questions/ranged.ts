import { type DateRange, Granularity } from "@trellis/contracts";
import { freshnessFor } from "@trellis/traffic-rules";

/**
 * Freshness and data range of a question over a date range at day grain or coarser: most
 * questions are this; they read exactly their range.
 */
export const overItsRange = {
  freshness: (request: { range?: DateRange }, now: Date) =>
    freshnessFor(request.range?.endDate ?? "", Granularity.DAY, now),
  dataRange: (request: { range?: DateRange }) => request.range,
};
