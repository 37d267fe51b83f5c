import {
  type DdlTarget,
  landingSessionsRebuild,
  type RollupSpec,
  rollupDayOf,
  rollupSelect,
  rollups,
} from "@trellis/store";
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
    // Numbers, not strings: a string element would be sent quoted, which Array(UInt64) refuses.
    ip_hashes: subjects.ipHashes.map(BigInt),
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
export function deleteSubjectEventsSql(target: DdlTarget): string {
  return `DELETE FROM ${rowsOf(target, "analytics_events")} WHERE ${SUBJECT_MATCH}`;
}

/**
 * Where a statement that changes rows of a sharded table (raw events, a rollup) goes: the
 * table itself, or on a cluster its `_local` tables on every node (`ON CLUSTER`), since a
 * Distributed table takes no DELETE or UPDATE.
 */
export function rowsOf(target: DdlTarget, table: string): string {
  return target.cluster
    ? `${target.database}.${table}_local ON CLUSTER ${target.cluster}`
    : `${target.database}.${table}`;
}

/**
 * Stored answers that can name a subject in their text: discovery runs keep their whole
 * result as JSON (fraud patterns name IP hashes). A row naming any of the ids as a JSON string
 * (`"<id>"`, `{needles}`) is deleted whole. Matching the quoted value, not a substring, keeps
 * another id that merely contains one from being taken for it.
 */
export const subjectNamingTables = [{ table: "discovery_runs", column: "result" }] as const;

export function namingMatch(column: string): string {
  return `organization_id = {organization_id:String} AND arrayExists(needle -> position(${column}, needle) > 0, {needles:Array(String)})`;
}

/** The ids as their JSON strings, what {@link namingMatch} looks for. */
export function namingNeedles(subjects: DeletionSubjects): string[] {
  return [...subjects.visitorIds, ...subjects.sessionIds, ...subjects.clickIds, ...subjects.ipHashes].map((id) =>
    JSON.stringify(id),
  );
}

/** How a rollup's rows of some days are found: its bucket falls on one of `{days}`. */
function rollupDaysMatch(spec: RollupSpec): string {
  return `organization_id = {organization_id:String} AND ${rollupDayOf(spec)} IN {days:Array(Date)}`;
}

export interface RollupRebuild {
  table: string;
  /** Rows the rollup holds for the days (before the rebuild: removed; after: written). */
  count: string;
  remove: string;
  refill: string;
}

/**
 * A rebuilt rollup `source` can refill `spec` when it keeps every dimension `spec` keeps (event
 * type included) and its buckets fall inside `spec`'s (an hour inside a day, a day in itself):
 * merging its rows gives the same sums and the same sets of ids as the raw events would.
 */
function canFeed(source: RollupSpec, spec: RollupSpec): boolean {
  if (source.layout !== "by_event_type" || !source.dimensions.includes("event_type")) return false;
  if (!spec.dimensions.every((d) => source.dimensions.includes(d))) return false;
  return spec.bucketColumn === "day" || source.bucketColumn === spec.bucketColumn;
}

/**
 * `spec`'s rows of the days, merged from `source`'s rows (already rebuilt). The source's
 * columns are named through its alias `src`: the outputs reuse their names (`events`,
 * `visitors`), and an unqualified name would mean the output's aggregate.
 */
function selectFromRollup(database: string, spec: RollupSpec, source: RollupSpec): string {
  const sourceDay = rollupDayOf(source, "src.");
  const bucket = spec.bucketColumn === source.bucketColumn ? `src.${source.bucketColumn}` : sourceDay;
  const counts =
    spec.layout === "totals"
      ? `sum(src.events) AS events,
    sumIf(src.events, src.event_type = 'click') AS clicks,
    sumIf(src.events, src.event_type = 'pageview') AS pageviews,
    sumIf(src.events, src.event_type = 'conversion') AS conversions,
    sumIf(src.revenue, src.event_type = 'conversion') AS revenue`
      : "sum(src.events) AS events,\n    sum(src.revenue) AS revenue";
  return `SELECT
    src.organization_id AS organization_id,
    src.retention_days AS retention_days,
    ${bucket} AS ${spec.bucketColumn},
    ${spec.dimensions.map((d) => `src.${d} AS ${d}`).join(",\n    ")},
    ${counts},
    sum(src.fraud_score_sum) AS fraud_score_sum,
    sum(src.quality_score_sum) AS quality_score_sum,
    uniqExactIfMergeState(src.visitors) AS visitors,
    uniqExactIfMergeState(src.sessions) AS sessions,
    uniqExactIfMergeState(src.click_ids) AS click_ids
FROM ${database}.${source.name} AS src
WHERE src.organization_id = {organization_id:String} AND ${sourceDay} IN {days:Array(Date)}
GROUP BY organization_id, retention_days, ${spec.bucketColumn}, ${spec.dimensions.join(", ")}`;
}

/**
 * For every rollup, and the landing sessions: remove the organization's rows of the affected
 * days, then write them again from the raw events that remain. An aggregate state cannot forget
 * one id, so the days are rebuilt whole. Only the finest rollups and the landing sessions read
 * the raw events; each coarser rollup is merged from a finer one rebuilt before it (daily from
 * hourly, the overview and totals from daily), which reads far fewer rows.
 */
export function rollupRebuilds(target: DdlTarget): RollupRebuild[] {
  const database = target.database;
  const order = [...rollups].sort(
    (a, b) =>
      Number(a.bucketColumn === "day") - Number(b.bucketColumn === "day") || b.dimensions.length - a.dimensions.length,
  );
  const rebuilt: RollupSpec[] = [];
  const rollupRebuilds = order.map((spec) => {
    const match = rollupDaysMatch(spec);
    // The coarsest rollup rebuilt so far that can feed it: the fewest rows to merge.
    const source = [...rebuilt].reverse().find((candidate) => canFeed(candidate, spec));
    rebuilt.push(spec);
    const select = source
      ? selectFromRollup(database, spec, source)
      : rollupSelect(
          spec,
          `${database}.analytics_events`,
          "organization_id = {organization_id:String} AND toDate(event_time, 'UTC') IN {days:Array(Date)}",
        );
    return {
      table: spec.name,
      count: `SELECT count() AS rows FROM ${database}.${spec.name} WHERE ${match}`,
      remove: `DELETE FROM ${rowsOf(target, spec.name)} WHERE ${match}`,
      refill: `INSERT INTO ${database}.${spec.name}\n${select}`,
    };
  });
  // The landing sessions (one row per session and day), made from the raw events like the finest rollups.
  return [...rollupRebuilds, landingSessionsRebuild(target, rowsOf(target, "landing_sessions"))];
}
