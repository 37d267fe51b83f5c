// Anomaly detection's quality on every day of a month, for many organizations:
//
//   npm run bench:discovery:anomalies          # 4M events, 30 organizations, 120 days
//
// Generated traffic is seeded and each organization's daily human sessions are read once with
// the product's own statement (overall and by country, `compileSeries`). Then, one day at a
// time for every complete day of the last 30, a spike (the day's largest country tripled) and,
// apart, a drop (that country gone) are planted on the series and judged by the product's rules
// (`judge`, the family-wise score and the smallest change of `detectAnomalies`) — hundreds of
// planted anomalies, where the full benchmark (run.ts) plants two per organization in the
// engine. The unplanted series are judged too: an alarm on a day outside the generator's planted
// patterns and fraud bursts (both real extra traffic) is a false alarm. Each figure is printed
// for the product's two scales and for the count scale alone, on the same series.
//
// BENCH_GRAIN=hour does the same per hour over the last 7 complete days (the hour's largest
// country; false alarms still counted per organization-month). BENCH_EVENTS,
// BENCH_ORGANIZATIONS, BENCH_SEED and BENCH_END (an ISO instant; default a minute ago) choose the
// traffic.
import { create } from "@bufbuild/protobuf";
import { DateRangeSchema } from "@trellis/contracts";
import { findDimension, findMetric, resolveRange, runCompiled } from "@trellis/traffic-rules";
import {
  bucketKeys,
  type Grain,
  isAlarm,
  type Judged,
  judge,
  SCALES,
  type Scale,
  scoreNeeded,
} from "../../services/discovery/src/anomalies/baseline.js";
import { compileSeries, historyStart } from "../../services/discovery/src/anomalies/compile.js";
import { anomalyDefaults } from "../../services/discovery/src/anomalies/run.js";
import { benchGenerator, seedMerged, startBenchEngine } from "../lib/engine.js";
import { progress, report } from "../lib/report.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 4_000_000);
const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 30);
const SEED = Number(process.env.BENCH_SEED ?? 22);
const DAYS = 120;
const GRAIN: Grain = process.env.BENCH_GRAIN === "hour" ? "hour" : "day";
if (![undefined, "day", "hour"].includes(process.env.BENCH_GRAIN)) throw new Error("BENCH_GRAIN is day or hour");
const WINDOW_DAYS = GRAIN === "day" ? 30 : 7;
const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (date: string, days: number) => isoDate(Date.parse(`${date}T00:00:00Z`) + days * DAY);

type Series = Map<string, number>;
interface OrganizationSeries {
  organization: string;
  overall: Series;
  byCountry: Map<string, Series>;
  firstKey: string;
  /** Days of the generator's planted patterns and fraud bursts: real extra traffic. */
  realBursts: Array<{ from: string; to: string }>;
}

const engine = await startBenchEngine("trellis-bench-anomalies-");
const { config, embedded } = engine;
const store = embedded.store;

try {
  const { end, generator } = benchGenerator({ seed: SEED, organizations: ORGANIZATIONS, events: EVENTS, days: DAYS });
  progress(`seeding ${EVENTS.toLocaleString("en")} events of ${ORGANIZATIONS} organizations over ${DAYS} days`);
  await seedMerged(store, generator, { seed: SEED, events: EVENTS, ipHashKey: config.ingest.ipHashKey });
  const truth = generator.groundTruth();

  // The last complete day: the generated traffic stops in the middle of its end's day.
  const lastDate = isoDate(end.getTime() - DAY);
  const windowStart = addDays(lastDate, -(WINDOW_DAYS - 1));
  const range = resolveRange(
    create(DateRangeSchema, { startDate: windowStart, endDate: lastDate, timeZone: "UTC" }),
    "range",
  );
  const sessions = findMetric("sessions");
  const country = findDimension("country");
  if (!sessions || !country) throw new Error("the catalogue has no sessions metric or country dimension");
  progress(`reading the series of ${ORGANIZATIONS} organizations from ${historyStart(range)} to ${lastDate}`);
  const organizations: OrganizationSeries[] = [];
  for (const org of generator.organizations) {
    const compiled = compileSeries(sessions, [country], GRAIN, range, false, store.database, org.id);
    const { rows } = await runCompiled<{ bucket: string; d_0: string | null; value: number }>(
      { store, organizationId: org.id },
      "bench.anomaly_series",
      compiled,
      { group_by_use_nulls: 1 },
    );
    const overall: Series = new Map();
    const byCountry = new Map<string, Series>();
    let firstKey = "";
    for (const row of rows) {
      if (row.d_0 === null) {
        overall.set(row.bucket, Number(row.value));
        if (firstKey === "" || row.bucket < firstKey) firstKey = row.bucket;
        continue;
      }
      const series = byCountry.get(row.d_0) ?? new Map<string, number>();
      series.set(row.bucket, Number(row.value));
      byCountry.set(row.d_0, series);
    }
    const known = truth.organizations.find((o) => o.organizationId === org.id);
    const realBursts = [...(known?.patterns ?? []), ...(known?.fraudBursts ?? [])].map((b) => ({
      from: b.start.slice(0, 10),
      to: b.end.slice(0, 10),
    }));
    organizations.push({ organization: org.id, overall, byCountry, firstKey, realBursts });
  }

  const keys = bucketKeys(windowStart, lastDate, GRAIN);
  const scoreSets: Array<[string, readonly Scale[]]> = [
    ["counts and ratios (the product)", SCALES],
    ["counts alone", ["counts"]],
  ];
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, scales] of scoreSets) {
    let spikes = 0;
    let spikesFound = 0;
    let drops = 0;
    let dropsFound = 0;
    let bigDrops = 0;
    let bigDropsFound = 0;
    let falseAlarms = 0;
    let alarmsInBursts = 0;
    for (const org of organizations) {
      // As detectAnomalies with dimensions=country: the overall series and the 20 largest countries.
      const seriesJudged = 1 + Math.min(org.byCountry.size, anomalyDefaults.valuesPerDimension);
      const needed = scoreNeeded(
        anomalyDefaults.threshold,
        seriesJudged * keys.length * scales.length,
        anomalyDefaults.familyAlpha,
      );
      const alarm = (series: Series, bucket: string, direction: 1 | -1) =>
        judge(series, [bucket], org.firstKey, scales).some(
          (j: Judged) => isAlarm(j, needed, anomalyDefaults.minRelativeChange) && Math.sign(j.score) === direction,
        );
      for (const bucket of keys) {
        const total = org.overall.get(bucket) ?? 0;
        const top = Math.max(0, ...[...org.byCountry.values()].map((s) => s.get(bucket) ?? 0));
        spikes++;
        if (alarm(new Map([...org.overall, [bucket, total + 2 * top]]), bucket, 1)) spikesFound++;
        drops++;
        const dropped = alarm(new Map([...org.overall, [bucket, total - top]]), bucket, -1);
        if (dropped) dropsFound++;
        // A drop of half the bucket or more: an outage anyone would want told.
        if (top >= total / 2) {
          bigDrops++;
          if (dropped) bigDropsFound++;
        }
      }
      for (const j of judge(org.overall, keys, org.firstKey, scales)) {
        if (!isAlarm(j, needed, anomalyDefaults.minRelativeChange)) continue;
        const day = j.key.slice(0, 10);
        if (org.realBursts.some((b) => day >= b.from && day <= b.to)) alarmsInBursts++;
        else falseAlarms++;
      }
    }
    rows.push({
      scales: name,
      spikes_planted: spikes,
      spikes_found: spikesFound / spikes,
      drops_planted: drops,
      drops_found: dropsFound / drops,
      drops_of_half_or_more_found: bigDrops ? bigDropsFound / bigDrops : "",
      false_alarms_per_org_month: falseAlarms / organizations.length / (WINDOW_DAYS / 30),
      alarms_in_real_bursts_per_org_month: alarmsInBursts / organizations.length / (WINDOW_DAYS / 30),
    });
  }
  report(`discovery-anomalies-every-${GRAIN}`, rows, {
    grain: GRAIN,
    events: EVENTS,
    organizations: ORGANIZATIONS,
    seed: SEED,
    end: end.toISOString(),
    window: `${windowStart} … ${lastDate}`,
  });
} finally {
  await engine.close();
}
