import { type Anomaly, Granularity } from "@trellis/contracts";
import { discovery } from "./api.js";
import { formatDecimal, formatPercent } from "./format.js";
import { granularityFor, rangeOf } from "./questions.js";
import { useAnswer } from "./use-answer.js";
import type { ViewState } from "./view-state.js";

/** Dimensions whose values explain an anomaly (its contributors). */
const explainedBy = ["country", "channel", "source", "device_type"];

/**
 * Anomalies of sessions over the view's range, at the traffic chart's grain (hours or days; a
 * weekly chart has none to show). The same question feeds the overview's markers and the
 * discovery page.
 */
export function useAnomalies(view: Pick<ViewState, "from" | "to" | "timeZone">) {
  const granularity = granularityFor(view);
  return useAnswer(
    async (signal) =>
      granularity === Granularity.WEEK
        ? { anomalies: [] as Anomaly[] }
        : discovery.detectAnomalies(
            { range: rangeOf(view), granularity, metric: "sessions", dimensions: explainedBy },
            { signal },
          ),
    [view.from, view.to, view.timeZone],
  );
}

/** What changed: an anomaly's main contributors, each with its share of the change. */
export function whatChanged(a: Anomaly): string {
  return a.contributors
    .slice(0, 3)
    .map(
      (c) =>
        `${c.dimension} ${c.value || "(none)"}: ${formatDecimal(c.observed)} vs ${formatDecimal(c.expected)} (${formatPercent(c.contribution)} of the change)`,
    )
    .join("; ");
}

/** Where an anomaly is: all traffic, or one value of a dimension. */
export function anomalyScope(a: Anomaly): string {
  return a.dimension ? `${a.dimension} = ${a.value || "(none)"}` : "all traffic";
}
