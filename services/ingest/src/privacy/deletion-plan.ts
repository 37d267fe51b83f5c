import { rollupSelect, rollups } from "@trellis/store";
import type { DeletionSubjects } from "./deletion-request.js";

/**
 * The statements of a deletion, each scoped to the organization by a bound parameter and
 * naming the ids only as bound arrays. `{organization_id}`, `{visitor_ids}`, `{session_ids}`,
 * `{click_ids}`, `{ip_hashes}` and (for rollups) `{days}` are the parameters.
 */
export const SUBJECT_MATCH = `organization_id = {organization_id:String} AND (
    visitor_id IN {visitor_ids:Array(String)}
    OR session_id IN {session_ids:Array(String)}
    OR click_id IN {click_ids:Array(String)}
    OR ip_hash IN {ip_hashes:Array(UInt64)})`;

export function subjectParams(organizationId: string, subjects: DeletionSubjects): Record<string, unknown> {
  return {
    organization_id: organizationId,
    visitor_ids: subjects.visitorIds,
    session_ids: subjects.sessionIds,
    click_ids: subjects.clickIds,
    ip_hashes: subjects.ipHashes,
  };
}

/** The UTC days holding events of the subjects: the rollup rows those days are rebuilt. */
export function affectedDaysSql(database: string): string {
  return `SELECT DISTINCT toString(toDate(event_time, 'UTC')) AS day
FROM ${database}.analytics_events
WHERE ${SUBJECT_MATCH}
ORDER BY day`;
}

export function countSubjectEventsSql(database: string): string {
  return `SELECT count() AS rows FROM ${database}.analytics_events WHERE ${SUBJECT_MATCH}`;
}

/**
 * A lightweight DELETE: the rows are masked at once (no query sees them again) and dropped
 * from disk when their parts next merge. On the embedded engine it takes about a tenth of
 * the time of `ALTER TABLE … DELETE` with `mutations_sync = 2`, which rewrites every part
 * it touches before answering (see bench/privacy).
 */
export function deleteSubjectEventsSql(database: string): string {
  return `DELETE FROM ${database}.analytics_events WHERE ${SUBJECT_MATCH}`;
}

/** How a rollup's rows of some days are found: its bucket falls on one of `{days}`. */
function rollupDaysMatch(bucketColumn: string): string {
  const day = bucketColumn === "day" ? "day" : `toDate(${bucketColumn})`;
  return `organization_id = {organization_id:String} AND ${day} IN {days:Array(Date)}`;
}

export interface RollupRebuild {
  table: string;
  /** Rows the rollup holds for the days (before the rebuild: removed; after: written). */
  count: string;
  remove: string;
  refill: string;
}

/**
 * For every rollup: remove the organization's rows of the affected days, then write them
 * again from the raw events that remain. An aggregate state cannot forget one id, so the
 * days are rebuilt whole.
 */
export function rollupRebuilds(database: string): RollupRebuild[] {
  return rollups.map((spec) => {
    const match = rollupDaysMatch(spec.bucketColumn);
    return {
      table: spec.name,
      count: `SELECT count() AS rows FROM ${database}.${spec.name} WHERE ${match}`,
      remove: `DELETE FROM ${database}.${spec.name} WHERE ${match}`,
      refill: `INSERT INTO ${database}.${spec.name}\n${rollupSelect(
        spec,
        `${database}.analytics_events`,
        "organization_id = {organization_id:String} AND toDate(event_time, 'UTC') IN {days:Array(Date)}",
      )}`,
    };
  });
}
