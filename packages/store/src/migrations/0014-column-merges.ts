import { type DdlTarget, onCluster } from "./ddl.js";

/**
 * The events table's parts merge column by column whatever their size. The engine's default
 * merges parts of fewer than 131,072 rows all columns at once, with a read and a write buffer
 * per column of every part merged: with ingest's inserts of about 10,000 rows that was the
 * largest memory of the engine under load. Measured alone (the ingest benchmark's 198k rows as
 * 20 Native inserts of 10,000 rows into the real table with its views, three alternating runs
 * each): the engine's tracked memory peaked at 78–101 MiB against 289–350 MiB, the process's
 * resident memory grew 184–207 MiB against 276–296 MiB, for the same CPU (3.5–4.4 s against
 * 4.0–4.8 s) and the same parts once merged. The rollups have few columns: merged column by
 * column too, they measured no less.
 */
export function columnByColumnMerges(target: DdlTarget): string[] {
  const table = target.cluster ? "analytics_events_local" : "analytics_events";
  return [
    `ALTER TABLE ${target.database}.${table}${onCluster(target)} MODIFY SETTING vertical_merge_algorithm_min_rows_to_activate = 1`,
  ];
}
