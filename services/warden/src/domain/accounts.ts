import { randomBytes } from "node:crypto";
import { AlreadyExistsError, echo, NotFoundError, ValidationError } from "@trellis/platform";
import type { ApiKeyKind, ApiKeyRecord, OrganizationRecord, WardenRepository } from "../adapters/clickhouse.js";
import { generateApiKey } from "./api-key.js";
import { normalizeOrigins } from "./origins.js";
import { parseScopes, scopeNames } from "./scopes.js";

const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{1,62}$/;
export const DEFAULT_RETENTION_DAYS = 365 * 7;
/** The only scope a publishable key may have: it sends events and reads nothing. */
export const PUBLISHABLE_SCOPE = "events:write";

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

    /**
     * A secret key (every scope unless told), or a publishable key: events:write only, bound
     * to the origins it lists.
     */
    async createApiKey(input: {
      organizationId: string;
      name: string;
      scopes: readonly string[];
      kind?: ApiKeyKind;
      allowedOrigins?: readonly string[];
    }): Promise<{ key: ApiKeyRecord; credential: string }> {
      const kind = input.kind ?? "secret";
      const publishable = kind === "publishable";
      if (publishable && input.scopes.some((scope) => scope !== PUBLISHABLE_SCOPE))
        throw ValidationError.field("scopes", `a publishable key can only have ${PUBLISHABLE_SCOPE}`);
      if (!publishable && (input.allowedOrigins?.length ?? 0) > 0)
        throw ValidationError.field("allowed_origins", "only a publishable key is bound to origins");
      const allowedOrigins = publishable ? normalizeOrigins(input.allowedOrigins ?? []) : [];
      if (!(await repository.getOrganization(input.organizationId))) {
        throw new NotFoundError(`organization ${echo(input.organizationId)} does not exist`);
      }
      const requested = publishable
        ? [PUBLISHABLE_SCOPE]
        : input.scopes.length > 0
          ? input.scopes
          : Object.keys(scopeNames);
      const { unknown } = parseScopes(requested);
      if (unknown.length > 0) {
        throw ValidationError.field(
          "scopes",
          `unknown scope ${unknown.slice(0, 8).map(echo).join(", ")}; expected ${Object.keys(scopeNames).join(", ")}`,
        );
      }
      const generated = generateApiKey(kind);
      const key: ApiKeyRecord = {
        id: generated.id,
        organizationId: input.organizationId,
        kind,
        name: input.name.trim() || (publishable ? "publishable key" : "api key"),
        prefix: generated.prefix,
        secretHash: generated.hash,
        scopes: [...new Set(requested)],
        allowedOrigins,
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
