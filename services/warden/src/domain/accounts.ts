import { randomBytes } from "node:crypto";
import { AlreadyExistsError, echo, NotFoundError, ValidationError } from "@trellis/platform";
import type { ApiKeyRecord, OrganizationRecord, WardenRepository } from "../adapters/clickhouse.js";
import { generateApiKey } from "./api-key.js";
import { parseScopes, scopeNames } from "./scopes.js";

const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{1,62}$/;
export const DEFAULT_RETENTION_DAYS = 365 * 7;

export interface AccountsDeps {
  repository: WardenRepository;
  clock?: () => Date;
}

/** Organization and API-key management, shared by the admin RPCs and the CLI. */
export function createAccounts({ repository, clock = () => new Date() }: AccountsDeps) {
  return {
    async createOrganization(input: {
      name: string;
      id?: string;
      retentionDays?: number;
    }): Promise<OrganizationRecord> {
      const name = input.name.trim();
      if (!name) throw ValidationError.field("name", "must not be empty");
      if (name.length > 200) throw ValidationError.field("name", "must be at most 200 characters");
      const id = input.id?.trim() || `org_${randomBytes(6).toString("hex")}`;
      if (!ORG_ID_PATTERN.test(id)) {
        throw ValidationError.field(
          "id",
          "must be 2-63 lowercase letters, digits, '-' or '_', starting with a letter or digit",
        );
      }
      const retentionDays = input.retentionDays || DEFAULT_RETENTION_DAYS;
      if (retentionDays < 1 || retentionDays > 36_500) {
        throw ValidationError.field("retention_days", "must be between 1 and 36500 days");
      }
      if (await repository.getOrganization(id)) throw new AlreadyExistsError(`organization ${echo(id)} already exists`);
      const org: OrganizationRecord = { id, name, retentionDays, createdAt: clock() };
      await repository.saveOrganization(org);
      return org;
    },

    async createApiKey(input: {
      organizationId: string;
      name: string;
      scopes: readonly string[];
    }): Promise<{ key: ApiKeyRecord; credential: string }> {
      if (!(await repository.getOrganization(input.organizationId))) {
        throw new NotFoundError(`organization ${echo(input.organizationId)} does not exist`);
      }
      const requested = input.scopes.length > 0 ? input.scopes : Object.keys(scopeNames);
      const { unknown } = parseScopes(requested);
      if (unknown.length > 0) {
        throw ValidationError.field(
          "scopes",
          `unknown scope ${unknown.slice(0, 8).map(echo).join(", ")}; expected ${Object.keys(scopeNames).join(", ")}`,
        );
      }
      const generated = generateApiKey();
      const key: ApiKeyRecord = {
        id: generated.id,
        organizationId: input.organizationId,
        name: input.name.trim() || "api key",
        prefix: generated.prefix,
        secretHash: generated.hash,
        scopes: [...new Set(requested)],
        createdAt: clock(),
        revokedAt: null,
      };
      await repository.saveApiKey(key);
      return { key, credential: generated.credential };
    },

    async revokeApiKey(keyId: string): Promise<ApiKeyRecord> {
      const key = await repository.getApiKey(keyId);
      if (!key) throw new NotFoundError(`api key ${echo(keyId)} does not exist`);
      if (key.revokedAt) return key;
      const revoked = { ...key, revokedAt: clock() };
      await repository.saveApiKey(revoked);
      return revoked;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
