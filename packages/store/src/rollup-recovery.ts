import type { Logger } from "@trellis/platform";
import type { OrganizationDay } from "./insert-spool.js";
import { landingSessionsRebuild, rollupRebuild, rollups } from "./migrations/index.js";
import type { Store } from "./store.js";

/**
 * Makes the rollups of the organization-days named by interrupted inserts' journals again from
 * the stored events, then settles the journals. An insert cut off by the death of the process
 * may have written the events table and none, or some, of its views; its batches were never
 * acknowledged, and their retries are recognised as written (by the events table) and not
 * inserted again, so the rollups would stay short. Each rollup's rows of those days are deleted
 * and aggregated anew from the events, as the views would have; the landing sessions too. Runs before the store takes
 * inserts (from `migrate()`); a death during it leaves the journals, and the next start does it
 * again.
 */
export async function rebuildInterruptedRollups(
  store: Store,
  interrupted: Array<{ touches: OrganizationDay[]; settle(): void }>,
  logger: Logger,
): Promise<void> {
  if (interrupted.length === 0) return;
  const started = performance.now();
  const datesByOrganization = new Map<string, Set<string>>();
  for (const { touches } of interrupted) {
    for (const [organizationId, date] of touches) {
      const dates = datesByOrganization.get(organizationId) ?? new Set<string>();
      dates.add(date);
      datesByOrganization.set(organizationId, dates);
    }
  }
  for (const [organizationId, dates] of datesByOrganization) {
    const params = { org: organizationId, dates: [...dates].sort() };
    for (const spec of rollups) {
      const { remove, refill } = rollupRebuild(store.target, spec);
      await store.command({ name: `rollups.rebuild.${spec.name}`, sql: remove, params, organizationId });
      await store.command({ name: `rollups.rebuild.${spec.name}`, sql: refill, params, organizationId });
    }
    // The landing sessions, kept by a view of their own, the same way.
    const sessions = landingSessionsRebuild(store.target, `${store.database}.landing_sessions`);
    const sessionParams = { organization_id: organizationId, days: params.dates };
    await store.command({
      name: "rollups.rebuild.landing_sessions",
      sql: sessions.remove,
      params: sessionParams,
      organizationId,
    });
    await store.command({
      name: "rollups.rebuild.landing_sessions",
      sql: sessions.refill,
      params: sessionParams,
      organizationId,
    });
  }
  for (const journal of interrupted) journal.settle();
  logger.warn(
    {
      inserts: interrupted.length,
      organizations: datesByOrganization.size,
      organization_days: [...datesByOrganization.values()].reduce((sum, dates) => sum + dates.size, 0),
      ms: Math.round(performance.now() - started),
    },
    "an insert was cut off by the end of the last process: the rollups of its days were made again from the events",
  );
}
