import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { rollupDayOf, rollups } from "./migrations/index.js";
import type { Store } from "./store.js";

/** The storage policy the cold tier uses: volume `default` (the engine's disk), then `cold`. */
export const TIERED_POLICY = "tiered";

const xmlText = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The embedded engine's storage configuration: a `cold` local disk at `coldPath` and the
 * `tiered` policy over the default disk and it. The hot volume keeps the name `default`: a
 * table may move to a policy only if it holds every volume of its current one. Written to
 * `<dataDir>/storage-tiers.xml`; answers its path, given to the engine as `--config-file`.
 * A ClickHouse server gets the same `tiered` policy from its own configuration, its `cold`
 * disk on object storage (see the root README).
 */
export function writeColdTierConfig(dataDir: string, coldPath: string): string {
  const cold = `${resolve(coldPath)}/`;
  mkdirSync(cold, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(dataDir, "storage-tiers.xml");
  writeFileSync(
    path,
    `<clickhouse>
  <storage_configuration>
    <disks>
      <cold><path>${xmlText(cold)}</path></cold>
    </disks>
    <policies>
      <${TIERED_POLICY}>
        <volumes>
          <default><disk>default</disk></default>
          <cold><disk>cold</disk></cold>
        </volumes>
      </${TIERED_POLICY}>
    </policies>
  </storage_configuration>
</clickhouse>
`,
  );
  return path;
}

/** Each tiered table, the date its rows' age is counted from, as its TTL writes it. */
const tieredTables = [
  { table: "analytics_events", date: "event_date" },
  ...rollups.map((r) => ({ table: r.name, date: rollupDayOf(r) })),
  { table: "landing_sessions", date: "day" },
];

/**
 * Moves the raw events, rollups and landing sessions onto the `tiered` policy with a TTL that moves a part to
 * the cold volume once its rows are `afterDays` old, beside the retention TTL that deletes
 * them. Idempotent: a table already so is left alone (changing a TTL rewrites every part).
 * Does nothing where the engine has no `tiered` policy or `afterDays` is 0. Answers the
 * tables changed.
 *
 * The age is global, not per organization: a part holds the rows of many organizations
 * (partitions are months, never organizations), and the engine moves whole parts.
 */
export async function applyColdTier(store: Store, afterDays: number): Promise<string[]> {
  if (afterDays <= 0 || store.target.cluster) return [];
  const { rows: policies } = await store.query<{ n: string }>({
    name: "tiering.policy",
    sql: "SELECT count() AS n FROM system.storage_policies WHERE policy_name = {policy:String} AND volume_name = 'cold'",
    params: { policy: TIERED_POLICY },
    organizationId: null,
  });
  if (Number(policies[0]?.n ?? 0) === 0) return [];
  const changed: string[] = [];
  for (const { table, date } of tieredTables) {
    const { rows } = await store.query<{ policy: string; engine_full: string }>({
      name: "tiering.table",
      sql: "SELECT storage_policy AS policy, engine_full FROM system.tables WHERE database = {db:String} AND name = {table:String}",
      params: { db: store.database, table },
      organizationId: null,
    });
    const current = rows[0];
    if (!current) continue;
    const move = `${date} + toIntervalDay(${afterDays}) TO VOLUME 'cold'`;
    if (
      current.policy === TIERED_POLICY &&
      current.engine_full.includes(`toIntervalDay(${afterDays}) TO VOLUME 'cold'`)
    )
      continue;
    const qualified = `${store.database}.${table}`;
    if (current.policy !== TIERED_POLICY) {
      await store.command({
        name: "tiering.policy",
        sql: `ALTER TABLE ${qualified} MODIFY SETTING storage_policy = '${TIERED_POLICY}'`,
        organizationId: null,
      });
    }
    await store.command({
      name: "tiering.ttl",
      sql: `ALTER TABLE ${qualified} MODIFY TTL ${date} + toIntervalDay(retention_days), ${move} SETTINGS mutations_sync = 2`,
      organizationId: null,
    });
    changed.push(table);
  }
  return changed;
}
