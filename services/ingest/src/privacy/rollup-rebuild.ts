import type { Store } from "@trellis/store";
import { rollupRebuilds } from "./deletion-plan.js";

/**
 * Rebuilds the organization's rows of `days` (UTC dates) in every rollup from the raw events
 * as they are now: removes them, writes them again, and answers per rollup the rows removed
 * and the rows written. Run it with the organization's ingest writes held back (the write
 * gate): an event inserted in between would be counted twice, by its view and by the refill.
 * `purpose` leads the statements' names (in logs, spans and metrics).
 */
export async function rebuildRollupDays(
  store: Store,
  organizationId: string,
  days: readonly string[],
  purpose = "privacy",
): Promise<{ removed: Record<string, number>; written: Record<string, number> }> {
  const removed: Record<string, number> = {};
  const written: Record<string, number> = {};
  if (days.length === 0) return { removed, written };
  const params = { organization_id: organizationId, days };
  for (const rollup of rollupRebuilds(store.target)) {
    const count = async () => {
      const { rows } = await store.query<{ rows: string }>({
        name: `${purpose}.count_${rollup.table}`,
        sql: rollup.count,
        params,
        organizationId,
      });
      return Number(rows[0]?.rows ?? 0);
    };
    removed[rollup.table] = await count();
    await store.command({ name: `${purpose}.remove_${rollup.table}`, sql: rollup.remove, params, organizationId });
    await store.command({ name: `${purpose}.refill_${rollup.table}`, sql: rollup.refill, params, organizationId });
    written[rollup.table] = await count();
  }
  return { removed, written };
}
