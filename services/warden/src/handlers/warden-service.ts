import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type ApiKey,
  ApiKeySchema,
  KeyKind,
  type Organization,
  OrganizationSchema,
  Scope,
  type WardenService,
} from "@trellis/contracts";
import type { ApiKeyKind, ApiKeyRecord, OrganizationRecord } from "../adapters/clickhouse.js";
import type { Accounts } from "../domain/accounts.js";
import type { Authenticator } from "../domain/authenticator.js";
import { parseScopes, scopeName } from "../domain/scopes.js";

export interface WardenDeps {
  authenticator: Authenticator;
  accounts: Accounts;
  repository: {
    listApiKeys(organizationId: string): Promise<ApiKeyRecord[]>;
    listOrganizations(): Promise<OrganizationRecord[]>;
  };
  authCacheSeconds: number;
}

const keyKinds: Record<ApiKeyKind, KeyKind> = { secret: KeyKind.SECRET, publishable: KeyKind.PUBLISHABLE };

function toApiKey(key: ApiKeyRecord): ApiKey {
  return create(ApiKeySchema, {
    id: key.id,
    organizationId: key.organizationId,
    kind: keyKinds[key.kind],
    allowedOrigins: key.allowedOrigins,
    name: key.name,
    prefix: key.prefix,
    scopes: parseScopes(key.scopes).scopes,
    createdAt: timestampFromDate(key.createdAt),
    revokedAt: key.revokedAt ? timestampFromDate(key.revokedAt) : undefined,
  });
}

function toOrganization(org: OrganizationRecord): Organization {
  return create(OrganizationSchema, {
    id: org.id,
    name: org.name,
    retentionDays: org.retentionDays,
    createdAt: timestampFromDate(org.createdAt),
  });
}

export function createWardenService(deps: WardenDeps): ServiceImpl<typeof WardenService> {
  return {
    async authenticate(req) {
      const { context, keyKind, allowedOrigins } = await deps.authenticator.identify(req.credential);
      return {
        context,
        cacheTtlSeconds: deps.authCacheSeconds,
        keyKind: keyKind ? keyKinds[keyKind] : KeyKind.UNSPECIFIED,
        allowedOrigins,
      };
    },

    async createOrganization(req) {
      const org = await deps.accounts.createOrganization({
        name: req.name,
        id: req.id,
        retentionDays: req.retentionDays,
      });
      return { organization: toOrganization(org) };
    },

    async listOrganizations() {
      return { organizations: (await deps.repository.listOrganizations()).map(toOrganization) };
    },

    async createApiKey(req) {
      const { key, credential } = await deps.accounts.createApiKey({
        organizationId: req.organizationId,
        name: req.name,
        scopes: req.scopes.filter((s) => s !== Scope.UNSPECIFIED).map(scopeName),
        kind: req.kind === KeyKind.PUBLISHABLE ? "publishable" : "secret",
        allowedOrigins: req.allowedOrigins,
      });
      return { key: toApiKey(key), secret: credential };
    },

    async revokeApiKey(req) {
      return { key: toApiKey(await deps.accounts.revokeApiKey(req.keyId)) };
    },

    async listApiKeys(req) {
      const keys = await deps.repository.listApiKeys(req.organizationId);
      return { keys: keys.map(toApiKey) };
    },
  };
}
