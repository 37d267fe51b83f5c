/** What a migration renders DDL for: one embedded/single server, or a named cluster. */
export interface DdlTarget {
  database: string;
  cluster?: string;
  /** A ClickHouse server (SQL users, roles, row policies); a cluster is one too. Unset: chDB. */
  server?: boolean;
}

/** ` ON CLUSTER <name>` for a cluster target, empty otherwise. */
export function onCluster(target: DdlTarget): string {
  return target.cluster ? ` ON CLUSTER ${target.cluster}` : "";
}

/**
 * A sharded table: on a cluster the data lives in `<name>_local` (Replicated, one copy per
 * shard) behind a Distributed table named `<name>`; elsewhere `<name>` is the table itself.
 */
export function shardedTable(
  target: DdlTarget,
  name: string,
  body: { columns: string; engine: string; engineArgs?: string; tail: string },
  shardingKey: string,
): string[] {
  const db = target.database;
  if (!target.cluster) {
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.${name}\n(\n${body.columns}\n)\nENGINE = ${body.engine}(${body.engineArgs ?? ""})\n${body.tail}`,
    ];
  }
  const replicatedArgs = [`'/clickhouse/tables/{shard}/${db}/${name}_local'`, `'{replica}'`];
  if (body.engineArgs) replicatedArgs.push(body.engineArgs);
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${name}_local${onCluster(target)}\n(\n${body.columns}\n)\nENGINE = Replicated${body.engine}(${replicatedArgs.join(", ")})\n${body.tail}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${name}${onCluster(target)} AS ${db}.${name}_local\nENGINE = Distributed(${target.cluster}, ${db}, ${name}_local, ${shardingKey})`,
  ];
}

/** A small table every node holds in full (one replication group across the cluster). */
export function everywhereTable(
  target: DdlTarget,
  name: string,
  body: { columns: string; engine: string; engineArgs?: string; tail: string },
): string {
  const db = target.database;
  if (!target.cluster) {
    return `CREATE TABLE IF NOT EXISTS ${db}.${name}\n(\n${body.columns}\n)\nENGINE = ${body.engine}(${body.engineArgs ?? ""})\n${body.tail}`;
  }
  const args = [`'/clickhouse/tables/all/${db}/${name}'`, `'{replica}'`];
  if (body.engineArgs) args.push(body.engineArgs);
  return `CREATE TABLE IF NOT EXISTS ${db}.${name}${onCluster(target)}\n(\n${body.columns}\n)\nENGINE = Replicated${body.engine}(${args.join(", ")})\n${body.tail}`;
}

/** A column's line in a CREATE TABLE body: `    <name> <type>[ CODEC(<codec>)]`. */
export function columnDefinition(column: { name: string; type: string; codec?: string }): string {
  return `    ${column.name} ${column.type}${column.codec === undefined ? "" : ` CODEC(${column.codec})`}`;
}
