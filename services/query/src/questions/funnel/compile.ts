import { type GetFunnelRequest, JourneyKey } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { type ResolvedRange, rangeParams, resolveRange, timeRangePredicate } from "@trellis/traffic-rules";
import { compileFilters } from "../../domain/filters.js";
import { checkFunnelLimits } from "../../domain/input-limits.js";

export const funnelLimits = {
  minSteps: 2,
  maxSteps: 12,
  defaultWindowSeconds: 7 * 86_400,
  maxWindowSeconds: 90 * 86_400,
};

export interface CompiledFunnel {
  sql: string;
  params: Record<string, unknown>;
  steps: string[];
  range: ResolvedRange;
}

/**
 * Ordered steps within a conversion window per visitor (or session), with ClickHouse's
 * windowFunnel. A step matches an event type or an event/conversion name, narrowed by
 * its own dimension filters.
 */
export function compileFunnel(request: GetFunnelRequest, database: string, organizationId: string): CompiledFunnel {
  const range = resolveRange(request.range, "range");
  const steps = request.steps;
  if (steps.length < funnelLimits.minSteps || steps.length > funnelLimits.maxSteps) {
    throw ValidationError.field("steps", `must have ${funnelLimits.minSteps} to ${funnelLimits.maxSteps} steps`);
  }
  checkFunnelLimits(request);
  const windowSeconds = request.windowSeconds || funnelLimits.defaultWindowSeconds;
  if (windowSeconds > funnelLimits.maxWindowSeconds) {
    throw ValidationError.field("window_seconds", `must be at most ${funnelLimits.maxWindowSeconds}`);
  }
  const key = request.journeyKey === JourneyKey.SESSION ? "session_id" : "visitor_id";
  const params: Record<string, unknown> = {};
  const conditions = steps.map((step, i) => {
    if (!step.name.trim())
      throw ValidationError.field(`steps[${i}].name`, "is required: an event type or an event name");
    params[`step${i}`] = step.name;
    const filters = compileFilters(step.filters, `steps[${i}].filters`, `s${i}f`);
    if (filters.having) throw ValidationError.field(`steps[${i}].filters`, "may filter dimensions only");
    Object.assign(params, filters.params);
    return `(event_type = {step${i}:String} OR event_name = {step${i}:String})${filters.where}`;
  });
  const sql = `SELECT level, count() AS journeys
FROM (
  SELECT ${key}, windowFunnel({window:UInt64})(toDateTime(event_time), ${conditions.join(",\n    ")}) AS level
  FROM ${database}.analytics_events
  WHERE organization_id = {organization_id:String} AND ${key} != ''
    AND ${timeRangePredicate}
  GROUP BY ${key}
)
GROUP BY level
ORDER BY level`;
  return {
    sql,
    params: {
      ...params,
      organization_id: organizationId,
      window: windowSeconds,
      ...rangeParams(range),
    },
    steps: steps.map((s) => s.name),
    range,
  };
}
