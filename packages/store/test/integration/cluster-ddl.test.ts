import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { createLogger } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import {
  createStore,
  migrations,
  organizationSetting,
  organizationShardingKey,
  renderSchema,
  rollups,
  type Store,
  tenantSqlTables,
  tenantSqlUserStatements,
} from "../../src/index.js";

// The schema a ClickHouse cluster and a single server get, every statement read back through
// ClickHouse's own parser (formatQuery). A cluster cannot run here; what the engine would do
// with the statements is ClickHouse's, what they say is checked below.

const logger = createLogger({ service: "test", level: "silent" });
const dataDir = tempDir("cluster-ddl");
let store: Store;

beforeAll(() => {
  store = createStore(
    { database: testDatabase("ddl"), dataDir, requestTimeoutMs: 30_000, maxOpenConnections: 2 },
    { logger },
  );
});

afterAll(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function formatted(sql: string): Promise<string> {
  const { rows } = await store.query<{ f: string }>({
    name: "test.format",
    sql: "SELECT formatQuery({sql:String}) AS f",
    params: { sql },
    organizationId: null,
  });
  return rows[0]?.f ?? "";
}

const cluster = { database: "trellis", cluster: "analytics" };
const server = { database: "trellis", server: true };

describe("cluster and server DDL", () => {
  it("parses, statement by statement, for a cluster, a server and the embedded engine", async () => {
    for (const target of [cluster, server, { database: "trellis" }]) {
      const statements = renderSchema(target);
      for (const sql of statements) {
        const normalized = await formatted(sql);
        expect(normalized.length, sql).toBeGreaterThan(0);
        if ("cluster" in target) expect(normalized, sql).toContain("ON CLUSTER analytics");
        else expect(normalized, sql).not.toContain("ON CLUSTER");
      }
    }
  });

  it("shards every Distributed table by a hash of the organization alone, over shard-local replicated tables", async () => {
    const statements = await Promise.all(renderSchema(cluster).map(formatted));
    // The last definition of each Distributed table is the one a migrated cluster has.
    const distributed = new Map<string, string>();
    for (const sql of statements) {
      const match =
        /^CREATE (?:OR REPLACE )?TABLE (?:IF NOT EXISTS )?trellis\.(\w+) ON CLUSTER analytics AS trellis\.(\w+)\s+ENGINE = Distributed\(analytics, trellis, (\w+), (.+)\)$/s.exec(
          sql,
        );
      if (match) distributed.set(match[1] ?? "", match[4] ?? "");
    }
    expect([...distributed.keys()].sort()).toEqual(
      ["analytics_events", ...rollups.map((r) => r.name), "landing_sessions"].sort(),
    );
    for (const [table, key] of distributed) expect(key, table).toBe(organizationShardingKey);
    expect(organizationShardingKey).not.toMatch(/visitor|session|rand/);
    // The rollups and landing sessions are kept per shard: their views read the shard's own events.
    const views = statements.filter((s) => s.startsWith("CREATE MATERIALIZED VIEW"));
    expect(views.length).toBeGreaterThan(0);
    for (const view of views) {
      expect(view).toMatch(/TO trellis\.\w+_local/);
      expect(view).toContain("FROM trellis.analytics_events_local");
    }
  });

  it("gives a server and a cluster the tenant-SQL role: SELECT on the tenant tables only, a row policy on each and one passing everything to every other user, a settings profile with ceilings", async () => {
    for (const target of [cluster, server]) {
      const statements = await Promise.all(renderSchema(target).map(formatted));
      const tables = tenantSqlTables.flatMap((t) => ("cluster" in target ? [t, `${t}_local`] : [t]));
      const grants = statements.filter((s) => s.startsWith("GRANT"));
      expect(grants.map((g) => /SELECT ON trellis\.(\w+) TO trellis_tenant_sql$/.exec(g)?.[1]).sort()).toEqual(
        [...tables].sort(),
      );
      const policies = statements.filter((s) => s.startsWith("CREATE ROW POLICY"));
      expect(policies).toHaveLength(2 * tables.length);
      for (const table of tables) {
        const onTable = policies.filter((p) => p.includes(` ON trellis.${table} `));
        // The role sees its organization's rows; every other user (the product's own) sees all:
        // a table with a row policy shows a user that no policy names nothing.
        expect(
          onTable.find((p) => p.includes("trellis_tenant_sql_rows")),
          table,
        ).toMatch(
          /FOR SELECT USING organization_id = getSetting\('SQL_trellis_organization_id'\) TO trellis_tenant_sql$/,
        );
        expect(
          onTable.find((p) => p.includes("trellis_service_rows")),
          table,
        ).toMatch(/FOR SELECT USING 1 TO ALL EXCEPT trellis_tenant_sql$/);
        expect(onTable.join("\n")).not.toContain("RESTRICTIVE");
      }
      const profile = statements.find((s) => s.startsWith("CREATE SETTINGS PROFILE"));
      expect(profile).toMatch(/max_execution_time = 60 MAX 60/);
      expect(profile).toMatch(/max_memory_usage = 1073741824 MAX 1073741824/);
      expect(profile).toMatch(/allow_ddl = 0 CONST/);
      expect(statements.find((s) => s.startsWith("CREATE ROLE"))).toContain("SETTINGS PROFILE `trellis_tenant_sql`");
    }
    // The embedded engine has no SQL users: none of it is rendered there.
    const embedded = renderSchema({ database: "trellis" }).join("\n");
    expect(embedded).not.toMatch(/ROW POLICY|CREATE ROLE|SETTINGS PROFILE|GRANT/);
  });

  it("renders an organization's tenant-SQL user with its organization fixed, and refuses ids that could break out", async () => {
    const hash = createHash("sha256").update("a long random password").digest("hex");
    for (const target of [cluster, server]) {
      const [user, grant] = await Promise.all(tenantSqlUserStatements(target, "acme-01", hash).map(formatted));
      expect(user).toContain("CREATE USER IF NOT EXISTS `trellis_tenant_acme-01`");
      expect(user).toContain(`IDENTIFIED WITH sha256_hash BY '${hash}'`);
      expect(user).toContain("DEFAULT DATABASE trellis_sandbox DEFAULT ROLE trellis_tenant_sql");
      expect(user).toContain(`${organizationSetting} = 'acme-01' CONST`);
      expect(grant).toContain("trellis_tenant_sql TO `trellis_tenant_acme-01`");
    }
    for (const bad of ["", "a'b", "a` b", "x'); DROP TABLE t; --", "a".repeat(65), "org\n"]) {
      expect(() => tenantSqlUserStatements(server, bad, hash), JSON.stringify(bad)).toThrow(/organization id/);
    }
    expect(() => tenantSqlUserStatements(server, "acme", "plain")).toThrow(/SHA-256/);
    expect(() => tenantSqlUserStatements({ database: "trellis" }, "acme", hash)).toThrow(/server or cluster/);
  });

  it("names no organization in the migrations: tenants are scoped by the setting, never by a literal", () => {
    for (const sql of renderSchema(cluster)) expect(sql).not.toMatch(/organization_id\s*=\s*'/);
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });
});
