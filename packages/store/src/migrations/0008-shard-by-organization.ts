import type { DdlTarget } from "./ddl.js";

/**
 * The key the Distributed tables shard by: a hash of the organization alone, so one
 * organization's events and rollups live on one shard and every tenant-scoped question is
 * answered by that shard (with optimize_skip_unused_shards, the others are not even asked).
 * The same expression as the rollups' Distributed tables (0004), so a row written to a rollup
 * directly lands beside the events it summarises.
 */
export const organizationShardingKey = "sipHash64(organization_id)";

/**
 * Events were sharded by organization and visitor (0001). The Distributed table holds no data,
 * so it is replaced by one sharded by organization only; rows already stored stay on their
 * shards and are still found (a Distributed query reads every shard unless told it may skip).
 * Nothing to do outside a cluster.
 */
export function shardEventsByOrganization(target: DdlTarget): string[] {
  if (!target.cluster) return [];
  const db = target.database;
  return [
    `CREATE OR REPLACE TABLE ${db}.analytics_events ON CLUSTER ${target.cluster} AS ${db}.analytics_events_local
ENGINE = Distributed(${target.cluster}, ${db}, analytics_events_local, ${organizationShardingKey})`,
  ];
}
