// Bytes per event on disk after merges: generated, enriched events seeded into the embedded
// engine, every table merged (OPTIMIZE … FINAL, as a long-running server would have them), then
// the engine's own accounting of its active parts (system.parts) per table (the events, the
// rollups, the landing sessions), and the largest
// columns of the events table (system.columns). The figure docs/scale.md multiplies by 10B a day.
//   npm run bench:disk            (BENCH_EVENTS, default 500,000; BENCH_ORGANIZATIONS, default 20)
import { openDataset } from "../lib/dataset.js";
import { progress, report } from "../lib/report.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 20);
const DAYS = 60;

const dataset = await openDataset({ events: EVENTS, organizations: ORGANIZATIONS, days: DAYS, seed: 7 });
const { store } = dataset.embedded;

try {
  progress("reading system.parts");
  const { rows: parts } = await store.query<{
    table: string;
    rows: string;
    parts: string;
    on_disk: string;
    compressed: string;
    uncompressed: string;
  }>({
    name: "bench.disk",
    sql: `SELECT table, sum(rows) AS rows, count() AS parts, sum(bytes_on_disk) AS on_disk,
  sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
FROM system.parts WHERE database = {db:String} AND active
  AND table IN ('analytics_events', 'events_hourly', 'events_daily', 'events_daily_overview', 'events_daily_totals',
    'landing_sessions')
GROUP BY table ORDER BY table`,
    params: { db: store.database },
    organizationId: null,
  });
  const events = Number(parts.find((p) => p.table === "analytics_events")?.rows ?? 0);
  const rows = parts.map((p) => ({
    table: p.table,
    rows: Number(p.rows),
    parts: Number(p.parts),
    "bytes on disk": Number(p.on_disk),
    "bytes on disk / event": Number(p.on_disk) / events,
    "uncompressed / event": Number(p.uncompressed) / events,
    "compression ratio": Number(p.uncompressed) / Number(p.compressed),
  }));
  const total = rows.reduce((s, r) => s + r["bytes on disk"], 0);
  rows.push({
    table: "all (events, rollups, landing sessions)",
    rows: events,
    parts: rows.reduce((s, r) => s + r.parts, 0),
    "bytes on disk": total,
    "bytes on disk / event": total / events,
    "uncompressed / event": rows.reduce((s, r) => s + r["uncompressed / event"], 0),
    "compression ratio": Number.NaN,
  });
  const { rows: columns } = await store.query<{ name: string; compressed: string }>({
    name: "bench.disk_columns",
    sql: `SELECT name, data_compressed_bytes AS compressed FROM system.columns
WHERE database = {db:String} AND table = 'analytics_events' ORDER BY data_compressed_bytes DESC LIMIT 8`,
    params: { db: store.database },
    organizationId: null,
  });
  report("disk", rows, {
    events: EVENTS,
    organizations: ORGANIZATIONS,
    days: DAYS,
    largestColumnsBytesPerEvent: Object.fromEntries(columns.map((c) => [c.name, Number(c.compressed) / events])),
  });
  process.stdout.write(
    `largest columns of analytics_events, compressed bytes per event: ${columns
      .map((c) => `${c.name} ${(Number(c.compressed) / events).toFixed(1)}`)
      .join(", ")}\n`,
  );
} finally {
  await dataset.close();
}
