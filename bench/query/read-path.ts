// What the BigQuery read path leaves on the store. A campaign-performance answer from BigQuery
// still reads the store's day versions of the range (the freshness check); this measures that
// check beside the store's own answer for the same organization and range, in one process, and
// the one-time cost of computing a day of the read path's tables for the export, and what the
// export reads each run to find exported days before its window that moved (the daily totals
// rollup's event counts) beside the exact day versions of the same days. BigQuery's own time
// cannot be measured here.
import { create } from "@bufbuild/protobuf";
import { dailyEventCounts, dayVersions } from "@trellis/bigquery";
import { GetCampaignPerformanceRequestSchema } from "@trellis/contracts";
import { campaignClickKeysStatement, campaignEventsStatement, campaignSessionsStatement } from "@trellis/export";
import { compileCampaignPerformance } from "../../services/query/src/questions/campaign-performance/compile.js";
import { openDataset, timeStatement } from "../lib/dataset.js";
import { percentile, progress, report } from "../lib/report.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const DAYS = 120;

const dataset = await openDataset({ events: EVENTS, organizations: ORGANIZATIONS, days: DAYS, seed: 11 });
const { embedded, largest, end, largestEvents } = dataset;
const store = embedded.store;

try {
  const endDate = end.toISOString().slice(0, 10);
  const startDate = new Date(end.getTime() - 89 * 86_400_000).toISOString().slice(0, 10);
  const question = compileCampaignPerformance(
    create(GetCampaignPerformanceRequestSchema, { range: { startDate, endDate, timeZone: "UTC" } }),
    store.database,
    largest,
  );
  const captured = { version: 0, sql: "campaign_id", params: {} };
  const answer: number[] = [];
  const check: number[] = [];
  const counts: number[] = [];
  const tomorrow = new Date(end.getTime() + 86_400_000).toISOString().slice(0, 10);
  // Alternating rounds, so that a busy moment of the machine falls on both.
  for (let round = 0; round < RUNS; round++) {
    progress(`round ${round + 1}/${RUNS}`);
    answer.push(await timeStatement(store, question, largest));
    const started = performance.now();
    await dayVersions(store, largest, startDate, endDate);
    check.push(performance.now() - started);
    // What the export reads each run to find exported days before its window that moved: the
    // daily totals rollup's event counts of every day of the organization's history.
    const countsStarted = performance.now();
    await dailyEventCounts(store, largest, tomorrow);
    counts.push(performance.now() - countsStarted);
  }
  const exportDay: number[] = [];
  for (let d = 0; d < RUNS; d++) {
    const day = new Date(end.getTime() - d * 86_400_000).toISOString().slice(0, 10);
    const started = performance.now();
    for (const statement of [campaignEventsStatement, campaignClickKeysStatement, campaignSessionsStatement])
      await store.query(statement(store, largest, day, captured));
    exportDay.push(performance.now() - started);
  }
  const p50 = (values: number[]) => percentile(values, 50);
  report(
    "read-path",
    [
      { measure: "store answer, campaign performance, 90 days (ms p50)", value: p50(answer) },
      { measure: "read path's freshness check on the store, 90 days (ms p50)", value: p50(check) },
      { measure: "check / answer", value: p50(check) / p50(answer) },
      { measure: "export: daily event counts of the whole history from the rollup (ms p50)", value: p50(counts) },
      { measure: "rollup counts / exact day versions of the same days", value: p50(counts) / p50(check) },
      { measure: "export: one day of the three read-path tables (ms p50)", value: p50(exportDay) },
    ],
    { events: EVENTS, organizations: ORGANIZATIONS, largest, largestEvents, runs: RUNS, startDate, endDate },
  );
} finally {
  await dataset.close();
}
