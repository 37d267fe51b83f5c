import { randomBytes } from "node:crypto";
import type { Store } from "@trellis/store";

/** A schedule as stored (its definition column holds this as JSON). */
export interface StoredSchedule {
  id: string;
  kind: "patterns" | "anomalies" | "fraud";
  every: "hour" | "day";
  lookbackDays: number;
  metric: string;
  dimensions: string[];
  /** ISO 8601 instants. */
  nextRunAt: string;
  lastRunAt?: string;
  lastRunId?: string;
}

interface Row {
  organization_id: string;
  definition: string;
}

const engineTime = (date: Date) => date.toISOString().replace("T", " ").replace("Z", "");

export function newScheduleId(): string {
  return `sch_${randomBytes(9).toString("base64url")}`;
}

/**
 * Schedules per organization. A change writes a new row (newest updated_at wins; a deletion is
 * a row marked deleted), so no row is ever updated in place.
 */
export function createScheduleStore(store: Store, clock: () => Date) {
  const table = `${store.database}.discovery_schedules`;
  const newest = `SELECT organization_id, schedule_id, argMax(definition, updated_at) AS definition, argMax(deleted, updated_at) AS gone
FROM ${table}`;

  async function write(organizationId: string, schedule: StoredSchedule, deleted: boolean): Promise<void> {
    await store.insert(
      "discovery_schedules",
      [
        {
          organization_id: organizationId,
          schedule_id: schedule.id,
          updated_at: engineTime(clock()),
          deleted: deleted ? 1 : 0,
          definition: JSON.stringify(schedule),
        },
      ],
      { organizationId },
    );
  }

  return {
    put: (organizationId: string, schedule: StoredSchedule) => write(organizationId, schedule, false),
    remove: (organizationId: string, schedule: StoredSchedule) => write(organizationId, schedule, true),

    async list(organizationId: string, signal?: AbortSignal): Promise<StoredSchedule[]> {
      const { rows } = await store.query<Row>({
        name: "discovery schedules (list)",
        sql: `${newest} WHERE organization_id = {organization_id:String}
GROUP BY organization_id, schedule_id HAVING gone = 0 ORDER BY schedule_id`,
        params: { organization_id: organizationId },
        organizationId,
        signal,
      });
      return rows.map((r) => JSON.parse(r.definition) as StoredSchedule);
    },

    /**
     * Schedules of every organization whose next run is due. The one statement over all
     * organizations: it reads schedule definitions only, and each run it starts is made for
     * its own organization's verified scope.
     */
    async due(now: Date, limit: number): Promise<Array<{ organizationId: string; schedule: StoredSchedule }>> {
      const { rows } = await store.query<Row>({
        name: "discovery schedules (due)",
        sql: `SELECT organization_id, definition FROM (
  ${newest} GROUP BY organization_id, schedule_id HAVING gone = 0
) WHERE parseDateTime64BestEffort(JSONExtractString(definition, 'nextRunAt'), 3, 'UTC') <= parseDateTime64BestEffort({now:String}, 3, 'UTC')
ORDER BY organization_id, schedule_id LIMIT {limit:UInt32}`,
        params: { now: now.toISOString(), limit },
        organizationId: null,
      });
      return rows.map((r) => ({
        organizationId: r.organization_id,
        schedule: JSON.parse(r.definition) as StoredSchedule,
      }));
    },
  };
}

export type ScheduleStore = ReturnType<typeof createScheduleStore>;
