import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  type DiscoverPatternsRequest,
  type DiscoverPatternsResponse,
  DiscoverPatternsResponseSchema,
  Granularity,
  ResultMetaSchema,
} from "@trellis/contracts";
import type { Logger } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { freshnessFor, resolveRange, runCompiled } from "@trellis/traffic-rules";
import { boundedInteger, boundedNumber } from "../domain/bounds.js";
import type { DiscoveryDeps, RunRequest } from "../domain/run-deps.js";
import { newRunId } from "../runs/run-store.js";
import {
  compilePatterns,
  compileWindowEvents,
  joinSeries,
  materializedCteSupport,
  pastWindow,
  patternSettingsFor,
  SEPARATE_SERIES_FROM_EVENTS,
  type SeparateSeriesRow,
  sessionSourceFor,
  withDays,
} from "./compile.js";
import { type GroupRow, selectPatterns } from "./select.js";

export const patternDefaults = {
  limit: 20,
  maxLimit: 100,
  minSessions: 10,
  minSupport: 0.005,
  minGrowth: 2,
  minDispersion: 3,
  /** Sessions scoring this or more are fraud (DetectFraud), never a pattern. */
  fraudScoreMax: 50,
  priority: 10,
};

/**
 * Whether the store's engine can run the separate series (see `compilePatterns`), asked once
 * per store: a ClickHouse server older than 26.3 cannot, and gets the one pass always. When the
 * question itself fails (a server user without `system.settings`, say), the call takes the one
 * pass, which every engine runs, and the next call asks again.
 */
const separateSeriesSupport = new WeakMap<Store, Promise<boolean>>();

export function canSeparateSeries(store: Store, logger: Pick<Logger, "warn">): Promise<boolean> {
  const known = separateSeriesSupport.get(store);
  if (known) return known;
  const asked = store
    .query<{ known: number | string }>({
      name: "discovery.patterns.engine",
      ...materializedCteSupport,
      organizationId: null,
    })
    .then(({ rows }) => Number(rows[0]?.known ?? 0) > 0);
  separateSeriesSupport.set(store, asked);
  return asked.catch((error: unknown) => {
    separateSeriesSupport.delete(store);
    logger.warn({ err: error }, "could not ask the engine for materialized CTEs: patterns take the one pass");
    return false;
  });
}

/** Finds the patterns of the organization's unattributed traffic over a range, and stores the run. */
export async function discoverPatterns(
  deps: DiscoveryDeps,
  call: RunRequest,
  request: DiscoverPatternsRequest,
): Promise<DiscoverPatternsResponse> {
  const range = resolveRange(request.range, "range");
  const settings = {
    limit: boundedInteger(request.limit, "limit", 1, patternDefaults.maxLimit, patternDefaults.limit),
    minSessions: boundedInteger(request.minEvents, "min_events", 1, 1_000_000_000, patternDefaults.minSessions),
    minSupport: boundedNumber(request.minSupport, "min_support", 0, 1, patternDefaults.minSupport),
    minGrowth: boundedNumber(request.minGrowth, "min_growth", 0, 1_000_000, patternDefaults.minGrowth),
    rangeDays: range.days,
    rangeStartDate: range.startDate,
    rangeEndDate: range.endDate,
    pastDays: pastWindow(range).days,
    priority: patternDefaults.priority,
    timeZone: range.timeZone,
    minDispersion: patternDefaults.minDispersion,
  };
  const organizationId = call.org.context.organizationId;
  const ruleset = await deps.campaigns.currentRuleset(call.org, call.signal);
  const past = pastWindow(range);
  return deps.answers.answer(
    call,
    {
      kind: "patterns",
      schema: DiscoverPatternsResponseSchema,
      request: {
        start: range.startDate,
        end: range.endDate,
        tz: range.timeZone,
        limit: settings.limit,
        minSessions: settings.minSessions,
        minSupport: settings.minSupport,
        minGrowth: settings.minGrowth,
      },
      rulesetVersion: ruleset.version,
      dataRange: { startDate: past.startDate, endDate: range.endDate },
      freshness: freshnessFor(range.endDate, Granularity.DAY, deps.clock()),
    },
    async () => {
      const ctx = { store: deps.store, organizationId, signal: call.signal, deadlineMs: call.deadlineMs };
      const window = await runCompiled<{ events: number | string | null }>(
        ctx,
        "discovery.patterns.window",
        compileWindowEvents(range, deps.store.database, organizationId),
      );
      const separateSeries =
        Number(window.rows[0]?.events ?? 0) >= SEPARATE_SERIES_FROM_EVENTS &&
        (await canSeparateSeries(deps.store, deps.logger));
      const source = sessionSourceFor(ruleset.fields);
      const compiled = compilePatterns(
        ruleset.effectiveCampaign,
        range,
        {
          minSessions: settings.minSessions,
          fraudScoreMax: patternDefaults.fraudScoreMax,
          separateSeries,
          source,
        },
        deps.store.database,
        organizationId,
      );
      const patterns = await runCompiled<GroupRow | SeparateSeriesRow>(
        ctx,
        "discovery.patterns",
        compiled,
        patternSettingsFor(separateSeries),
      );
      const rows = separateSeries
        ? joinSeries<GroupRow>(patterns.rows as SeparateSeriesRow[])
        : (patterns.rows as GroupRow[]);
      const elapsedMs = window.elapsedMs + patterns.elapsedMs;
      withDays(rows, past.startDate);
      const totals = rows.find((r) => Object.entries(r).every(([k, v]) => !k.startsWith("a_") || v === null));
      const runId = newRunId();
      const answer = create(DiscoverPatternsResponseSchema, {
        patterns: selectPatterns(rows, settings),
        runId,
        unattributedSessions: BigInt(totals?.u ?? 0),
        sessions: BigInt(Number(totals?.u ?? 0) + Number(totals?.a ?? 0)),
        meta: create(ResultMetaSchema, {
          source: AnswerSource.STORE,
          table: source === "events" ? "analytics_events" : "landing_sessions",
          elapsedMs,
          rulesetVersion: BigInt(ruleset.version),
        }),
      });
      await deps.runs.save(organizationId, runId, {
        kind: "patterns",
        range: { startDate: range.startDate, endDate: range.endDate, timeZone: range.timeZone },
        trigger: call.trigger,
        rulesetVersion: ruleset.version,
        findings: answer.patterns.length,
        elapsedMs,
        result: answer,
      });
      deps.logger.info(
        {
          organization_id: organizationId,
          run_id: runId,
          patterns: answer.patterns.length,
          separate_series: separateSeries,
          source,
          elapsed_ms: elapsedMs,
        },
        "patterns discovered",
      );
      return answer;
    },
  );
}
