// The raw aggregation statements of discovery's three methods for one organization and range,
// each timed through the store alone (no gateway, no process work after the engine): what the
// full benchmark (run.ts) and the speed benchmark (speed.ts) print beside the API's times.
import type { Store } from "@trellis/store";
import { defaultQueryLimits, findDimension, findMetric, type ResolvedRange, withLimits } from "@trellis/traffic-rules";
import { compileSeries } from "../../services/discovery/src/anomalies/compile.js";
import {
  compileAutomationAgents,
  compileBots,
  compileClickIdReuse,
  compileFloods,
  compileIpVelocity,
  compileSegments,
  listableAgents,
} from "../../services/discovery/src/fraud/compile.js";
import { fraudDefaults } from "../../services/discovery/src/fraud/run.js";
import {
  compilePatterns,
  compileWindowEvents,
  patternSettingsFor,
  SEPARATE_SERIES_FROM_EVENTS,
} from "../../services/discovery/src/patterns/compile.js";
import { patternDefaults } from "../../services/discovery/src/patterns/run.js";
import { timeStatement } from "../lib/dataset.js";

export interface RawStatements {
  /** Milliseconds of each method's statements, run once. */
  patterns(): Promise<number>;
  anomalies(): Promise<number>;
  fraud(): Promise<number>;
}

/**
 * The statements the product runs for `organizationId` over `range` (patterns of the shape it
 * chooses for the organization's size, over the landing sessions, with no campaign rules).
 */
export async function rawStatements(
  store: Store,
  range: ResolvedRange,
  organizationId: string,
): Promise<RawStatements> {
  const db = store.database;
  const windowEvents = compileWindowEvents(range, db, organizationId);
  const { rows: windowRows } = await store.query<{ events: string }>({
    name: "bench.raw",
    sql: windowEvents.sql,
    params: windowEvents.params,
    organizationId,
  });
  const separateSeries = Number(windowRows[0]?.events ?? 0) >= SEPARATE_SERIES_FROM_EVENTS;
  const patterns = compilePatterns(
    { sql: "campaign_id", params: {} },
    range,
    {
      minSessions: patternDefaults.minSessions,
      fraudScoreMax: patternDefaults.fraudScoreMax,
      separateSeries,
      source: "landing_sessions",
    },
    db,
    organizationId,
  );
  const explain = ["channel", "source", "country", "device_type"].flatMap((d) => findDimension(d) ?? []);
  const sessionsMetric = findMetric("sessions");
  if (!sessionsMetric) throw new Error("the catalogue has no sessions metric");
  const anomalies = compileSeries(sessionsMetric, explain, "day", range, false, db, organizationId);
  const thresholds = {
    clicksPerIp: fraudDefaults.clicksPerIp,
    floodClicks: fraudDefaults.floodClicks,
    minEvents: fraudDefaults.minEvents,
    limit: fraudDefaults.limit,
  };
  const fraud = [compileIpVelocity, compileFloods, compileSegments, compileClickIdReuse].map((f) =>
    f(range, thresholds, db, organizationId),
  );
  return {
    patterns: () => timeStatement(store, patterns, organizationId, patternSettingsFor(separateSeries)),
    anomalies: () => timeStatement(store, anomalies, organizationId),
    async fraud() {
      let ms = 0;
      for (const statement of fraud) ms += await timeStatement(store, statement, organizationId);
      // The bots statement takes the automation agents the statement before it finds.
      const agents = compileAutomationAgents(range, db, organizationId);
      const started = performance.now();
      const { rows } = await store.query<{ agents: string[]; count: number; bytes: number }>({
        name: "bench.raw",
        sql: withLimits(agents.sql, defaultQueryLimits),
        params: agents.params,
        organizationId,
      });
      ms += performance.now() - started;
      const bots = compileBots(range, thresholds, db, organizationId, listableAgents(rows[0]));
      ms += await timeStatement(store, bots, organizationId);
      return ms;
    },
  };
}
