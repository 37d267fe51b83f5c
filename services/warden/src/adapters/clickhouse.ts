import { type Store, toDateTime64 } from "@trellis/store";

export interface OrganizationRecord {
  id: string;
  name: string;
  retentionDays: number;
  createdAt: Date;
}

export type ApiKeyKind = "secret" | "publishable";

export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  kind: ApiKeyKind;
  name: string;
  prefix: string;
  secretHash: string;
  scopes: string[];
  /** Origins a publishable key's events may come from (empty for a secret key). */
  allowedOrigins: string[];
  createdAt: Date;
  revokedAt: Date | null;
}

interface OrganizationRow {
  id: string;
  name: string;
  retention_days: number;
  created_at: string;
}

interface ApiKeyRow {
  id: string;
  organization_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
}

function parseTime(value: string): Date {
  return new Date(`${value.replace(" ", "T")}Z`);
}

/**
 * A key's allowed origins are kept in its row's `scopes` list beside its scope names, as
 * `origin:<origin>` entries (no scope name contains a colon followed by "//"), so a
 * publishable key is one row like any other key and needs no column of its own. Its kind
 * is recognisable from its stored prefix ("trkp_").
 */
const ORIGIN_ENTRY = "origin:";
const PUBLISHABLE_PREFIX = "trkp_";

function toKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    kind: row.prefix.startsWith(PUBLISHABLE_PREFIX) ? "publishable" : "secret",
    name: row.name,
    prefix: row.prefix,
    secretHash: row.secret_hash,
    scopes: row.scopes.filter((entry) => !entry.startsWith(ORIGIN_ENTRY)),
    allowedOrigins: row.scopes
      .filter((entry) => entry.startsWith(ORIGIN_ENTRY))
      .map((entry) => entry.slice(ORIGIN_ENTRY.length)),
    createdAt: parseTime(row.created_at),
    revokedAt: row.revoked_at ? parseTime(row.revoked_at) : null,
  };
}

/** Organizations and API keys kept in ClickHouse (ReplacingMergeTree, read with FINAL). */
export function createWardenRepository(store: Store) {
  const db = store.database;
  return {
    async getOrganization(id: string): Promise<OrganizationRecord | undefined> {
      const { rows } = await store.query<OrganizationRow>({
        name: "warden.organization",
        sql: `SELECT id, name, retention_days, created_at FROM ${db}.organizations FINAL WHERE id = {id:String}`,
        params: { id },
        organizationId: id,
      });
      const row = rows[0];
      return (
        row && { id: row.id, name: row.name, retentionDays: row.retention_days, createdAt: parseTime(row.created_at) }
      );
    },

    async listOrganizations(): Promise<OrganizationRecord[]> {
      const { rows } = await store.query<OrganizationRow>({
        name: "warden.organizations",
        sql: `SELECT id, name, retention_days, created_at FROM ${db}.organizations FINAL ORDER BY id`,
        organizationId: null,
      });
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        retentionDays: row.retention_days,
        createdAt: parseTime(row.created_at),
      }));
    },

    async saveOrganization(org: OrganizationRecord): Promise<void> {
      const now = toDateTime64(Date.now());
      await store.insert(
        "organizations",
        [
          {
            id: org.id,
            name: org.name,
            retention_days: org.retentionDays,
            created_at: toDateTime64(org.createdAt),
            updated_at: now,
          },
        ],
        { organizationId: org.id },
      );
    },

    async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
      const { rows } = await store.query<ApiKeyRow>({
        name: "warden.key",
        sql: `SELECT id, organization_id, name, prefix, secret_hash, scopes, created_at, revoked_at
              FROM ${db}.api_keys FINAL WHERE id = {id:String}`,
        params: { id },
        organizationId: null,
      });
      return rows[0] && toKey(rows[0]);
    },

    async listApiKeys(organizationId: string): Promise<ApiKeyRecord[]> {
      const { rows } = await store.query<ApiKeyRow>({
        name: "warden.keys",
        sql: `SELECT id, organization_id, name, prefix, secret_hash, scopes, created_at, revoked_at
              FROM ${db}.api_keys FINAL WHERE organization_id = {org:String} ORDER BY created_at`,
        params: { org: organizationId },
        organizationId,
      });
      return rows.map(toKey);
    },

    async saveApiKey(key: ApiKeyRecord): Promise<void> {
      await store.insert(
        "api_keys",
        [
          {
            id: key.id,
            organization_id: key.organizationId,
            name: key.name,
            prefix: key.prefix,
            secret_hash: key.secretHash,
            scopes: [...key.scopes, ...key.allowedOrigins.map((origin) => `${ORIGIN_ENTRY}${origin}`)],
            created_at: toDateTime64(key.createdAt),
            revoked_at: key.revokedAt ? toDateTime64(key.revokedAt) : null,
            updated_at: toDateTime64(Date.now()),
          },
        ],
        { organizationId: key.organizationId },
      );
    },
  };
}

export type WardenRepository = ReturnType<typeof createWardenRepository>;
