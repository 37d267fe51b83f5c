import type { Client } from "@connectrpc/connect";
import type { CacheService, OrgContext } from "@trellis/contracts";
import { type Logger, type OrgScope, orgCallOptions, ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import type { Exports } from "./exports.js";
import type { PiiKeyring } from "./pii-keyring.js";
import type { SuppressionFilter } from "./suppressions.js";
import type { WriteGate } from "./write-gate.js";

export interface OffboardingDeps {
  store: Store;
  gate: WriteGate;
  keyring: PiiKeyring;
  suppressions: SuppressionFilter;
  exports: Exports;
  cache?: Client<typeof CacheService>;
  scopeFor(context: OrgContext): Promise<OrgScope>;
  logger: Logger;
}

/**
 * Every table of the product's database that holds rows of organizations: each one with an
 * `organization_id` column, found in the engine's catalogue so that a table added later
 * (campaigns, discovery runs, webhooks, …) is covered without a change here. Views are left
 * out: they hold nothing of their own.
 */
async function tenantTables(store: Store): Promise<string[]> {
  const { rows } = await store.query<{ table: string }>({
    name: "privacy.tenant_tables",
    sql: `SELECT c.table AS table FROM system.columns AS c
INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
WHERE c.database = {database:String} AND c.name = 'organization_id'
  AND t.engine NOT IN ('MaterializedView', 'View', 'Distributed')
ORDER BY table`,
    params: { database: store.database },
    organizationId: null,
  });
  return rows.map((r) => r.table);
}

/**
 * Offboarding: removes every row of the organization from every tenant table and the
 * organization itself (lightweight DELETEs, with its ingest writes held back), rewrites the
 * data-key table so no wrapped key of it stays on disk, removes its export files, and drops its
 * cached answers. Its API keys go with the `api_keys` rows: a gateway stops accepting them once
 * its authentication cache (`TRELLIS_AUTH_CACHE_SECONDS`) expires.
 */
export function createOffboarding(deps: OffboardingDeps) {
  const { store } = deps;
  return {
    async deleteOrganization(
      context: OrgContext,
      confirmation: string,
    ): Promise<{ deleted: Record<string, number>; cacheEntries: number }> {
      const organizationId = context.organizationId;
      if (confirmation !== organizationId)
        throw ValidationError.field("confirm_organization_id", "must repeat the caller's organization id");
      const params = { organization_id: organizationId };
      const deleted = await deps.gate.exclusive(organizationId, async () => {
        const counts: Record<string, number> = {};
        const targets = [
          ...(await tenantTables(store)).map((table) => ({ table, column: "organization_id" })),
          { table: "organizations", column: "id" },
        ];
        for (const { table, column } of targets) {
          const where = `${column} = {organization_id:String}`;
          const { rows } = await store.query<{ rows: string }>({
            name: "privacy.offboard_count",
            sql: `SELECT count() AS rows FROM ${store.database}.${table} WHERE ${where}`,
            params,
            organizationId,
          });
          const count = Number(rows[0]?.rows ?? 0);
          if (count === 0) continue;
          await store.command({
            name: "privacy.offboard_delete",
            // On a cluster, the `_local` tables found here hold one shard each: every node deletes.
            sql: `DELETE FROM ${store.database}.${table}${store.target.cluster ? ` ON CLUSTER ${store.target.cluster}` : ""} WHERE ${where}`,
            params,
            organizationId,
          });
          counts[table] = count;
        }
        await store.command({
          name: "privacy.rewrite_keys",
          sql: `OPTIMIZE TABLE ${store.database}.privacy_data_keys FINAL`,
          organizationId: null,
        });
        return counts;
      });
      deps.keyring.forget(organizationId);
      await deps.suppressions.refresh(organizationId);
      await deps.exports.forget(organizationId);
      let cacheEntries = 0;
      if (deps.cache) {
        const scope = await deps.scopeFor(context);
        const answer = await deps.cache.invalidateOrganization({}, { timeoutMs: 5_000, ...orgCallOptions(scope) });
        cacheEntries = Number(answer.droppedEntries);
      }
      deps.logger.warn(
        { organization_id: organizationId, tables: Object.keys(deleted).length },
        "organization deleted",
      );
      return { deleted, cacheEntries };
    },
  };
}

export type Offboarding = ReturnType<typeof createOffboarding>;
