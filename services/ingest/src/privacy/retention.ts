import type { Client } from "@connectrpc/connect";
import type { CacheService, OrgContext } from "@trellis/contracts";
import { type OrgScope, orgCallOptions, ValidationError } from "@trellis/platform";
import { rollupDayOf, rollups, type Store } from "@trellis/store";
import { rowsOf } from "./deletion-plan.js";
import { rebuildRollupDays } from "./rollup-rebuild.js";
import type { WriteGate } from "./write-gate.js";

export const MAX_RETENTION_DAYS = 36_500;

export interface RetentionDeps {
  store: Store;
  gate: WriteGate;
  cache?: Client<typeof CacheService>;
  scopeFor(context: OrgContext): Promise<OrgScope>;
}

/** The expression of the raw table's TTL: a row is past its retention when this is today or earlier. */
const EXPIRES = "event_date + toIntervalDay(retention_days)";

/**
 * Per-organization retention applied to stored data. Each row carries its retention
 * (`retention_days`, set at ingest) and the tables' TTL expires it, so a change is written
 * into the rows: the organization's record (what Warden puts in the context of its next
 * requests), its raw events (`ALTER TABLE … UPDATE`, a mutation: the column is not in the
 * sorting key), a lightweight DELETE of the events already past the new retention (a TTL
 * would only drop them at its next merge), and its rollups rebuilt for every day they hold
 * (their retention is part of their sorting key, which no mutation may change).
 */
export function createRetention(deps: RetentionDeps) {
  const { store } = deps;
  const db = store.database;
  return {
    async set(context: OrgContext, days: number) {
      if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS)
        throw ValidationError.field("retention_days", `expected 1 to ${MAX_RETENTION_DAYS} days`);
      const organizationId = context.organizationId;
      const params = { organization_id: organizationId, days };
      const outcome = await deps.gate.exclusive(organizationId, async () => {
        await store.command({
          name: "privacy.retention_organization",
          sql: `INSERT INTO ${db}.organizations (id, name, retention_days, created_at, updated_at)
SELECT id, name, {days:UInt16}, created_at, now64(3, 'UTC') FROM ${db}.organizations FINAL WHERE id = {organization_id:String}`,
          params,
          organizationId,
        });
        const count = async (name: string, where: string) => {
          const { rows } = await store.query<{ rows: string }>({
            name,
            sql: `SELECT count() AS rows FROM ${db}.analytics_events WHERE organization_id = {organization_id:String} AND ${where}`,
            params,
            organizationId,
          });
          return Number(rows[0]?.rows ?? 0);
        };
        // Counted before the update: rewriting the column lets the engine's TTL drop such rows
        // while it rewrites their parts.
        const expiredWhere = `${EXPIRES} <= today()`;
        const expired = await count(
          "privacy.retention_expired_count",
          "event_date + toIntervalDay({days:UInt16}) <= today()",
        );
        const updated = await count("privacy.retention_count", "retention_days != {days:UInt16}");
        if (updated > 0) {
          await store.command({
            name: "privacy.retention_update",
            sql: `ALTER TABLE ${rowsOf(store.target, "analytics_events")} UPDATE retention_days = {days:UInt16}
WHERE organization_id = {organization_id:String} AND retention_days != {days:UInt16}
SETTINGS mutations_sync = 2`,
            params,
            organizationId,
          });
        }
        if (expired > 0) {
          await store.command({
            name: "privacy.retention_expire",
            sql: `DELETE FROM ${rowsOf(store.target, "analytics_events")} WHERE organization_id = {organization_id:String} AND ${expiredWhere}`,
            params,
            organizationId,
          });
        }
        // Every day any rollup holds for the organization: rebuilt from what remains.
        const { rows: dayRows } = await store.query<{ day: string }>({
          name: "privacy.retention_days",
          sql: rollups
            .map(
              (r) =>
                `SELECT DISTINCT toString(${rollupDayOf(r)}) AS day FROM ${db}.${r.name} WHERE organization_id = {organization_id:String}`,
            )
            .join("\nUNION DISTINCT\n"),
          params,
          organizationId,
        });
        const { written } = await rebuildRollupDays(
          store,
          organizationId,
          dayRows.map((r) => r.day),
        );
        return { updated, expired, rebuilt: written };
      });
      if (deps.cache) {
        const scope = await deps.scopeFor(context);
        await deps.cache.advanceDataVersion({ dates: [] }, { timeoutMs: 5_000, ...orgCallOptions(scope) });
      }
      return { retentionDays: days, ...outcome };
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
