import { create } from "@bufbuild/protobuf";
import {
  type Anomaly,
  AnomalyContributorSchema,
  AnomalySchema,
  AnswerSource,
  type DetectAnomaliesRequest,
  type DetectAnomaliesResponse,
  DetectAnomaliesResponseSchema,
  Granularity,
  ResultMetaSchema,
} from "@trellis/contracts";
import { echo, ValidationError } from "@trellis/platform";
import { findDimension, findMetric, freshnessFor, resolveRange, runCompiled } from "@trellis/traffic-rules";
import { boundedNumber } from "../domain/bounds.js";
import type { DiscoveryDeps, RunRequest } from "../domain/run-deps.js";
import { newRunId } from "../runs/run-store.js";
import {
  bucketInProgress,
  bucketKeys,
  expectedAt,
  type Grain,
  isAlarm,
  type Judged,
  judge,
  SCALES,
  scoreNeeded,
} from "./baseline.js";
import { compileSeries, historyStart } from "./compile.js";

export const anomalyDefaults = {
  metric: "sessions",
  threshold: 4,
  /** Dimensions that explain an overall anomaly when the request names none. */
  explainBy: ["channel", "source", "country", "device_type"],
  maxDimensions: 5,
  /** Values of a requested dimension whose own series are judged (the largest by volume). */
  valuesPerDimension: 20,
  contributors: 5,
  /** Smallest share of the change a contributor explains. */
  minContribution: 0.1,
  /** Smallest surprise: a value whose share did not move (a dimension of one value) explains nothing. */
  minSurprise: 0.001,
  /**
   * Smallest change worth an alarm, as a share of the expected value: web traffic moves by a
   * tenth or so from one week to the next for reasons nobody needs told (weather, holidays,
   * a post shared), however regular its recent past made the spread look.
   */
  minRelativeChange: 0.2,
  /** Chance of one false alarm over all the buckets judged in a run (family-wise, Bonferroni). */
  familyAlpha: 0.05,
};

type Row = { bucket: string; value: number } & Record<`d_${number}`, string | null>;

function grainOf(granularity: Granularity): Grain {
  if (granularity === Granularity.UNSPECIFIED || granularity === Granularity.DAY) return "day";
  if (granularity === Granularity.HOUR) return "hour";
  throw ValidationError.field("granularity", "expected hour or day");
}

/** Jensen-Shannon surprise of a value's share moving from p (expected) to q (observed), after Adtributor. */
function surprise(p: number, q: number): number {
  const term = (a: number, b: number) => (a > 0 ? a * Math.log2((2 * a) / (a + b)) : 0);
  return 0.5 * (term(p, q) + term(q, p));
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Anomalies of a catalogue metric over a range, overall and per value of the requested
 * dimensions, against a same-slot median/MAD baseline; each overall anomaly names the dimension
 * values that explain it (contribution to the change, then surprise), and the run is stored.
 */
export async function detectAnomalies(
  deps: DiscoveryDeps,
  call: RunRequest,
  request: DetectAnomaliesRequest,
): Promise<DetectAnomaliesResponse> {
  const range = resolveRange(request.range, "range");
  const grain = grainOf(request.granularity);
  const metricName = request.metric || anomalyDefaults.metric;
  const metric = findMetric(metricName);
  if (!metric) throw ValidationError.field("metric", `unknown metric ${echo(metricName)}`);
  if (request.dimensions.length > anomalyDefaults.maxDimensions)
    throw ValidationError.field("dimensions", `at most ${anomalyDefaults.maxDimensions}`);
  const requested = request.dimensions.map((name, i) => {
    const dimension = findDimension(name);
    if (!dimension) throw ValidationError.field(`dimensions[${i}]`, `unknown dimension ${echo(name)}`);
    return dimension;
  });
  const threshold = boundedNumber(request.threshold, "threshold", 1, 100, anomalyDefaults.threshold);
  const explainBy = requested.length > 0 ? requested : anomalyDefaults.explainBy.flatMap((n) => findDimension(n) ?? []);
  const organizationId = call.org.context.organizationId;
  return deps.answers.answer(
    call,
    {
      kind: "anomalies",
      schema: DetectAnomaliesResponseSchema,
      request: {
        start: range.startDate,
        end: range.endDate,
        tz: range.timeZone,
        metric: metric.name,
        grain,
        dimensions: requested.map((d) => d.name),
        includeBots: request.includeBots,
        threshold,
      },
      dataRange: { startDate: historyStart(range), endDate: range.endDate },
      freshness: freshnessFor(range.endDate, grain === "hour" ? Granularity.HOUR : Granularity.DAY, deps.clock()),
    },
    async () => {
      const compiled = compileSeries(
        metric,
        explainBy,
        grain,
        range,
        request.includeBots,
        deps.store.database,
        organizationId,
      );
      const { rows, elapsedMs } = await runCompiled<Row>(
        { store: deps.store, organizationId, signal: call.signal, deadlineMs: call.deadlineMs },
        "discovery.anomalies",
        compiled,
        { group_by_use_nulls: 1 },
      );

      // Series: overall, and per (dimension index, value).
      const overall = new Map<string, number>();
      const byValue = explainBy.map(() => new Map<string, Map<string, number>>());
      let firstKey = "";
      for (const row of rows) {
        const index = explainBy.findIndex((_, i) => row[`d_${i}`] !== null && row[`d_${i}`] !== undefined);
        if (index < 0) {
          overall.set(row.bucket, Number(row.value));
          if (firstKey === "" || row.bucket < firstKey) firstKey = row.bucket;
          continue;
        }
        const value = String(row[`d_${index}`]);
        const series = byValue[index]?.get(value) ?? new Map<string, number>();
        series.set(row.bucket, Number(row.value));
        byValue[index]?.set(value, series);
      }
      // Complete buckets only: the one in progress and any later hold a part of their traffic.
      const inProgress = bucketInProgress(deps.clock(), range.timeZone, grain);
      const keys = bucketKeys(range.startDate, range.endDate, grain).filter((key) => key < inProgress);
      const anomalies: Anomaly[] = [];
      // Every series judged tests each bucket once on each scale: the overall series and each
      // requested dimension's largest values. The score must clear both the asked threshold and the one that
      // keeps the run's family-wise false-alarm chance at familyAlpha, and the change must matter.
      const seriesJudged =
        1 + requested.reduce((n, _, i) => n + Math.min(byValue[i]?.size ?? 0, anomalyDefaults.valuesPerDimension), 0);
      const needed = scoreNeeded(threshold, seriesJudged * keys.length * SCALES.length, anomalyDefaults.familyAlpha);
      const flagged = (j: Judged) => isAlarm(j, needed, anomalyDefaults.minRelativeChange);

      for (const j of judge(overall, keys, firstKey).filter(flagged)) {
        const change = j.observed - j.expected;
        const contributors = explainBy.flatMap((dimension, i) =>
          [...(byValue[i] ?? new Map<string, Map<string, number>>())].map(([value, series]) => {
            const observed = series.get(j.key) ?? 0;
            const expected = expectedAt(series, j.key, firstKey);
            return create(AnomalyContributorSchema, {
              dimension: dimension.name,
              value,
              observed: round(observed),
              expected: round(expected),
              contribution: change !== 0 ? round((observed - expected) / change) : 0,
              surprise: round(
                surprise(j.expected > 0 ? expected / j.expected : 0, j.observed > 0 ? observed / j.observed : 0),
              ),
            });
          }),
        );
        contributors.sort(
          (a, b) => b.contribution - a.contribution || b.surprise - a.surprise || a.value.localeCompare(b.value),
        );
        anomalies.push(
          create(AnomalySchema, {
            bucket: j.key,
            metric: metric.name,
            observed: round(j.observed),
            expected: round(j.expected),
            score: round(j.score, 2),
            direction: change > 0 ? "spike" : "drop",
            contributors: contributors
              .filter(
                (c) => c.contribution >= anomalyDefaults.minContribution && c.surprise >= anomalyDefaults.minSurprise,
              )
              .slice(0, anomalyDefaults.contributors),
          }),
        );
      }
      // Each requested dimension's largest values, judged on their own.
      requested.forEach((dimension, i) => {
        const largest = [...(byValue[i] ?? new Map<string, Map<string, number>>())]
          .map(([value, series]) => ({ value, series, total: keys.reduce((s, k) => s + (series.get(k) ?? 0), 0) }))
          .sort((a, b) => b.total - a.total || a.value.localeCompare(b.value))
          .slice(0, anomalyDefaults.valuesPerDimension);
        for (const { value, series } of largest) {
          for (const j of judge(series, keys, firstKey).filter(flagged)) {
            anomalies.push(
              create(AnomalySchema, {
                bucket: j.key,
                dimension: dimension.name,
                value,
                metric: metric.name,
                observed: round(j.observed),
                expected: round(j.expected),
                score: round(j.score, 2),
                direction: j.observed > j.expected ? "spike" : "drop",
              }),
            );
          }
        }
      });
      anomalies.sort(
        (a, b) =>
          a.bucket.localeCompare(b.bucket) ||
          a.dimension.localeCompare(b.dimension) ||
          Math.abs(b.score) - Math.abs(a.score),
      );

      const runId = newRunId();
      const answer = create(DetectAnomaliesResponseSchema, {
        anomalies,
        runId,
        meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: compiled.table, elapsedMs }),
      });
      await deps.runs.save(organizationId, runId, {
        kind: "anomalies",
        range: { startDate: range.startDate, endDate: range.endDate, timeZone: range.timeZone },
        trigger: call.trigger,
        rulesetVersion: 0,
        findings: anomalies.length,
        elapsedMs,
        result: answer,
      });
      deps.logger.info(
        { organization_id: organizationId, run_id: runId, anomalies: anomalies.length, elapsed_ms: elapsedMs },
        "anomalies detected",
      );
      return answer;
    },
  );
}
