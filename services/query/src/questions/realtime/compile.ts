import { echo, ValidationError } from "@trellis/platform";
import { findMetric, type Metric } from "@trellis/traffic-rules";

export const realtimeDefaults = {
  lastMinutes: 30,
  maxMinutes: 24 * 60,
  metrics: ["events", "clicks", "conversions", "revenue", "visitors"],
};

export interface CompiledRealtime {
  sql: string;
  params: Record<string, unknown>;
  metrics: Metric[];
  lastMinutes: number;
}

/** The last N minutes, per minute (UTC), with totals; minutes without events are filled with zeros. */
export function compileRealtime(
  request: { lastMinutes: number; metrics: readonly string[] },
  database: string,
  organizationId: string,
): CompiledRealtime {
  const lastMinutes = request.lastMinutes || realtimeDefaults.lastMinutes;
  if (lastMinutes > realtimeDefaults.maxMinutes) {
    throw ValidationError.field("last_minutes", `must be at most ${realtimeDefaults.maxMinutes}`);
  }
  const names = request.metrics.length > 0 ? request.metrics : realtimeDefaults.metrics;
  const metrics = names.map((name, i) => {
    const metric = findMetric(name);
    if (!metric) throw ValidationError.field(`metrics[${i}]`, `unknown metric ${echo(name)}`);
    return metric;
  });
  const sql = `SELECT
  formatDateTime(toStartOfMinute(event_time), '%Y-%m-%dT%H:%i:00Z', 'UTC') AS minute,
  ${metrics.map((m) => `${m.sql} AS \`${m.name}\``).join(",\n  ")},
  grouping(minute) AS __is_total
FROM ${database}.analytics_events
WHERE organization_id = {organization_id:String}
  AND event_date >= toDate(now() - toIntervalMinute({minutes:UInt32}) - toIntervalDay(1))
  AND event_time >= toStartOfMinute(now()) - toIntervalMinute({minutes:UInt32} - 1)
  AND event_time <= now64(3) + toIntervalMinute(5)
GROUP BY GROUPING SETS ((minute), ())
ORDER BY __is_total, minute`;
  return { sql, params: { organization_id: organizationId, minutes: lastMinutes }, metrics, lastMinutes };
}
