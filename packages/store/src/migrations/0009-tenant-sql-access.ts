import type { DdlTarget } from "./ddl.js";

/**
 * The second layer of the tenant-SQL sandbox on a ClickHouse server or cluster: the engine
 * itself keeps a tenant to its own rows, whatever the first layer (the parser allowlist in the
 * query service) let through. chDB has no SQL users, roles or row policies; there the engine's
 * layer is the read-only session with additional_table_filters, and these statements are not
 * rendered.
 *
 * - a settings profile that caps time, memory, rows read and result size (the query service
 *   asks for less per statement; a tenant cannot ask for more) and forbids DDL, introspection
 *   and table functions' network reach;
 * - a role holding SELECT on the documented tenant tables only — no INSERT, no ALTER, no
 *   system tables: read-only by grant;
 * - a row policy per tenant table (on a cluster, on the Distributed table and on the shard-local
 *   one) that passes the role only rows whose organization_id equals the user's
 *   `SQL_trellis_organization_id` setting. A user without that setting fails every read
 *   (getSetting of an unknown setting is an error): closed by default;
 * - beside it, a policy passing every row to every other user (`TO ALL EXCEPT` the role): once a
 *   table has a row policy, ClickHouse shows a user no policy names no rows at all, and the
 *   product's own user must keep reading everything.
 *
 * Each organization's user (tenantSqlUserStatements) carries its organization in that setting,
 * fixed with CONST so no statement can change it.
 */
export const tenantSqlTables = ["analytics_events", "events_daily", "events_hourly", "events_daily_totals"] as const;

/** The custom setting (ClickHouse's default custom_settings_prefixes is SQL_) naming the user's organization. */
export const organizationSetting = "SQL_trellis_organization_id";

/** Limits a tenant statement can never exceed on a server (the query service sets lower ones). */
export const tenantSqlCeilings = {
  maxExecutionSeconds: 60,
  maxMemoryBytes: 1024 * 1024 * 1024,
  maxRowsToRead: 2_000_000_000,
  maxResultRows: 100_001,
  maxResultBytes: 32 * 1024 * 1024,
};

export function tenantSqlRole(target: DdlTarget): string {
  return `${target.database}_tenant_sql`;
}

/** Whether the target has SQL access control: a server or a cluster, never the embedded engine. */
export function hasAccessControl(target: DdlTarget): boolean {
  return target.server === true || target.cluster !== undefined;
}

export function tenantSqlAccess(target: DdlTarget): string[] {
  if (!hasAccessControl(target)) return [];
  const db = target.database;
  const role = tenantSqlRole(target);
  const cluster = target.cluster ? ` ON CLUSTER ${target.cluster}` : "";
  const c = tenantSqlCeilings;
  const tables = tenantSqlTables.flatMap((t) => (target.cluster ? [t, `${t}_local`] : [t]));
  return [
    `CREATE SETTINGS PROFILE IF NOT EXISTS ${role}${cluster} SETTINGS
    max_execution_time = ${c.maxExecutionSeconds} MAX ${c.maxExecutionSeconds},
    max_memory_usage = ${c.maxMemoryBytes} MAX ${c.maxMemoryBytes},
    max_rows_to_read = ${c.maxRowsToRead} MAX ${c.maxRowsToRead},
    max_result_rows = ${c.maxResultRows} MAX ${c.maxResultRows},
    max_result_bytes = ${c.maxResultBytes} MAX ${c.maxResultBytes},
    allow_ddl = 0 CONST,
    allow_introspection_functions = 0 CONST,
    optimize_skip_unused_shards = 1`,
    `CREATE ROLE IF NOT EXISTS ${role}${cluster} SETTINGS PROFILE '${role}'`,
    ...tables.map((t) => `GRANT${cluster} SELECT ON ${db}.${t} TO ${role}`),
    ...tables.flatMap((t) => [
      `CREATE ROW POLICY IF NOT EXISTS ${role}_rows ON ${db}.${t}${cluster} FOR SELECT ` +
        `USING organization_id = getSetting('${organizationSetting}') TO ${role}`,
      `CREATE ROW POLICY IF NOT EXISTS ${db}_service_rows ON ${db}.${t}${cluster} FOR SELECT USING 1 TO ALL EXCEPT ${role}`,
    ]),
  ];
}

const ORGANIZATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * One organization's tenant-SQL user: the role above, the sandbox database (which holds nothing)
 * as its default, and its organization fixed in the row policies' setting. DDL takes no bound
 * parameters, so the organization id is checked against the id alphabet (letters, digits, _ and
 * -) before it is written into the statement; the password travels as its SHA-256 only.
 */
export function tenantSqlUserStatements(
  target: DdlTarget,
  organizationId: string,
  passwordSha256Hex: string,
): string[] {
  if (!hasAccessControl(target)) throw new Error("tenant SQL users exist on a ClickHouse server or cluster only");
  if (!ORGANIZATION_ID.test(organizationId))
    throw new Error("organization id must be 1-64 letters, digits, _ or - to name a tenant SQL user");
  if (!SHA256_HEX.test(passwordSha256Hex))
    throw new Error("password must be given as 64 lowercase hex digits of its SHA-256");
  const role = tenantSqlRole(target);
  const user = tenantSqlUser(target, organizationId);
  const cluster = target.cluster ? ` ON CLUSTER ${target.cluster}` : "";
  return [
    `CREATE USER IF NOT EXISTS ${user}${cluster} IDENTIFIED WITH sha256_hash BY '${passwordSha256Hex}' ` +
      `DEFAULT DATABASE ${target.database}_sandbox DEFAULT ROLE ${role} ` +
      `SETTINGS PROFILE '${role}', ${organizationSetting} = '${organizationId}' CONST`,
    `GRANT${cluster} ${role} TO ${user}`,
  ];
}

/** The user's name: the database's prefix and the organization id (its alphabet is a name's). */
export function tenantSqlUser(target: DdlTarget, organizationId: string): string {
  return `\`${target.database}_tenant_${organizationId}\``;
}
