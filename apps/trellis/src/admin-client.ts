import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type ApiKey, KeyKind, type Organization, WardenService } from "@trellis/contracts";
import type { Store } from "@trellis/store";
import { createAccounts, createWardenRepository, parseScopes, scopeName } from "@trellis/warden";

/** An organization as the CLI prints it. */
export interface ShownOrganization {
  id: string;
  name: string;
  retentionDays: number;
  createdAt: Date;
}

/** An API key as the CLI prints it: everything but the hash of its secret, which never leaves the store. */
export interface ShownKey {
  id: string;
  organizationId: string;
  kind: "secret" | "publishable";
  name: string;
  prefix: string;
  scopes: string[];
  /** Where a publishable key's events may come from. */
  allowedOrigins: string[];
  createdAt: Date;
  revokedAt: Date | null;
}

/** What `trellis orgs …` and `trellis keys …` do, against a data directory or a running product. */
export interface Admin {
  createOrganization(input: { name: string; id?: string; retentionDays?: number }): Promise<ShownOrganization>;
  listOrganizations(): Promise<ShownOrganization[]>;
  createApiKey(input: {
    organizationId: string;
    name: string;
    scopes: string[];
    kind?: "secret" | "publishable";
    allowedOrigins?: string[];
  }): Promise<{ key: ShownKey; credential: string }>;
  listApiKeys(organizationId: string): Promise<ShownKey[]>;
  revokeApiKey(keyId: string): Promise<ShownKey>;
}

/** Administration straight in the store: only while no trellis process holds the data directory. */
export function storeAdmin(store: Store): Admin {
  const repository = createWardenRepository(store);
  const accounts = createAccounts({ repository });
  const shown = <K extends ShownKey & { secretHash: string }>({ secretHash: _hash, ...key }: K): ShownKey => key;
  return {
    createOrganization: (input) => accounts.createOrganization(input),
    listOrganizations: () => repository.listOrganizations(),
    async createApiKey(input) {
      const { key, credential } = await accounts.createApiKey(input);
      return { key: shown(key), credential };
    },
    listApiKeys: async (organizationId) => (await repository.listApiKeys(organizationId)).map(shown),
    revokeApiKey: async (keyId) => shown(await accounts.revokeApiKey(keyId)),
  };
}

export class AdminCallError extends Error {
  override name = "AdminCallError";
}

/**
 * Administration through a running product's warden admin RPCs (`warden.v1.WardenService`),
 * authenticated by the admin token the product was started with.
 */
export function remoteAdmin(baseUrl: string, adminToken: string): Admin {
  const client = createClient(WardenService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
  const headers = { authorization: `Bearer ${adminToken}` };
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new AdminCallError(describeCallError(ConnectError.from(error), baseUrl), { cause: error });
    }
  };
  return {
    createOrganization: (input) =>
      call(async () => {
        const { organization } = await client.createOrganization(
          { name: input.name, id: input.id ?? "", retentionDays: input.retentionDays ?? 0 },
          { headers },
        );
        return toShownOrganization(organization);
      }),
    listOrganizations: () =>
      call(async () => (await client.listOrganizations({}, { headers })).organizations.map(toShownOrganization)),
    createApiKey: (input) =>
      call(async () => {
        const { scopes, unknown } = parseScopes(input.scopes);
        if (unknown.length > 0) throw new ConnectError(`unknown scope ${unknown.join(", ")}`, Code.InvalidArgument);
        const answer = await client.createApiKey(
          {
            organizationId: input.organizationId,
            name: input.name,
            scopes,
            kind: input.kind === "publishable" ? KeyKind.PUBLISHABLE : KeyKind.SECRET,
            allowedOrigins: input.allowedOrigins ?? [],
          },
          { headers },
        );
        return { key: toShownKey(answer.key), credential: answer.secret };
      }),
    listApiKeys: (organizationId) =>
      call(async () => (await client.listApiKeys({ organizationId }, { headers })).keys.map(toShownKey)),
    revokeApiKey: (keyId) => call(async () => toShownKey((await client.revokeApiKey({ keyId }, { headers })).key)),
  };
}

function describeCallError(error: ConnectError, baseUrl: string): string {
  switch (error.code) {
    case Code.Unavailable:
      return `no trellis answers at ${baseUrl} (${error.rawMessage})`;
    case Code.Unauthenticated:
      return `${baseUrl} refused the admin token: TRELLIS_WARDEN_ADMIN_TOKEN must be the one it was started with`;
    case Code.Unimplemented:
      return `${baseUrl} does not serve the admin RPCs: start it with TRELLIS_WARDEN_ADMIN_TOKEN set`;
    default:
      return error.rawMessage;
  }
}

function toShownOrganization(org: Organization | undefined): ShownOrganization {
  if (!org) throw new ConnectError("the answer carries no organization", Code.Internal);
  return {
    id: org.id,
    name: org.name,
    retentionDays: org.retentionDays,
    createdAt: org.createdAt ? timestampDate(org.createdAt) : new Date(0),
  };
}

function toShownKey(key: ApiKey | undefined): ShownKey {
  if (!key) throw new ConnectError("the answer carries no key", Code.Internal);
  return {
    id: key.id,
    organizationId: key.organizationId,
    kind: key.kind === KeyKind.PUBLISHABLE ? "publishable" : "secret",
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes.map(scopeName),
    allowedOrigins: key.allowedOrigins,
    createdAt: key.createdAt ? timestampDate(key.createdAt) : new Date(0),
    revokedAt: key.revokedAt ? timestampDate(key.revokedAt) : null,
  };
}
