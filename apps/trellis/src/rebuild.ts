import { rebuildRollupDays } from "@trellis/ingest";
import type { Store } from "@trellis/store";

/** The UTC days, oldest first, on which the organization has stored events, from `from` to `to` (inclusive). */
export async function storedDays(store: Store, organizationId: string, from: string, to: string): Promise<string[]> {
  const { rows } = await store.query<{ day: string }>({
    name: "rebuild.stored_days",
    sql: `SELECT DISTINCT toString(event_date) AS day FROM ${store.database}.analytics_events
WHERE organization_id = {organization_id:String} AND event_date BETWEEN {from:Date} AND {to:Date}
ORDER BY day`,
    params: { organization_id: organizationId, from, to },
    organizationId,
  });
  return rows.map((row) => row.day);
}

/** Rows per derived table, summed over the steps of a rebuild. */
export type TableRows = Record<string, number>;

export interface RebuildOutcome {
  organizationId: string;
  days: string[];
  /** Rows each derived table held for those days before, and holds after. */
  removed: TableRows;
  written: TableRows;
}

/**
 * Makes every table derived from the organization's raw events — the rollups and the landing
 * sessions — again for `days` (UTC dates), `daysPerStep` at a time so that no statement reads
 * more than that many days of events: each step removes the tables' rows of its days and
 * aggregates them anew from the events, as their views would have on insert. `onStep` is told
 * how many days each step finished.
 */
export async function rebuildDerivedTables(
  store: Store,
  organizationId: string,
  days: readonly string[],
  daysPerStep: number,
  onStep: (days: number) => void = () => {},
): Promise<RebuildOutcome> {
  const removed: TableRows = {};
  const written: TableRows = {};
  for (let at = 0; at < days.length; at += daysPerStep) {
    const step = days.slice(at, at + daysPerStep);
    let counts: Awaited<ReturnType<typeof rebuildRollupDays>>;
    try {
      counts = await rebuildRollupDays(store, organizationId, step, "rebuild");
    } catch (error) {
      throw new RebuildStepError(organizationId, step, days.slice(0, at + step.length), error);
    }
    for (const [table, rows] of Object.entries(counts.removed)) removed[table] = (removed[table] ?? 0) + rows;
    for (const [table, rows] of Object.entries(counts.written)) written[table] = (written[table] ?? 0) + rows;
    onStep(step.length);
  }
  return { organizationId, days: [...days], removed, written };
}

/**
 * A step that failed: its days may have lost their derived rows (removed, not yet written
 * again), so the message names them and how to go on — the steps before it are done.
 */
export class RebuildStepError extends Error {
  override name = "RebuildStepError";
  constructor(
    readonly organizationId: string,
    days: readonly string[],
    /** The organization's days whose rows changed: those rebuilt, and the failed step's. */
    readonly touched: readonly string[],
    cause: unknown,
  ) {
    const first = days[0] ?? "";
    const last = days.at(-1) ?? first;
    super(
      `rebuilding ${organizationId} ${first}…${last} failed: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        `The days before ${first} are done; those from ${first} may lack their rollup rows until rebuilt: ` +
        `run \`trellis rebuild --org ${organizationId} --from ${first}\` again (a step that ran out of time ` +
        "takes fewer days with --days-per-step, or more time with TRELLIS_CLICKHOUSE_REQUEST_TIMEOUT_MS)",
      { cause },
    );
  }
}
