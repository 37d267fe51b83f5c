import { rmSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { createHandlerContext } from "@connectrpc/connect";
import {
  AuthenticateRequestSchema,
  CreateApiKeyRequestSchema,
  KeyKind,
  Scope,
  WardenService,
} from "@trellis/contracts";
import { createLogger, ValidationError } from "@trellis/platform";
import { createStore, type Store } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { createWardenRepository } from "../../src/adapters/clickhouse.js";
import { createAccounts } from "../../src/domain/accounts.js";
import { createAuthenticator } from "../../src/domain/authenticator.js";
import { createWardenService } from "../../src/handlers/warden-service.js";

const dataDir = tempDir("warden-publishable");
let store: Store;
let repository: ReturnType<typeof createWardenRepository>;
let accounts: ReturnType<typeof createAccounts>;

beforeAll(async () => {
  store = createStore(
    { database: testDatabase("warden_pk"), dataDir, requestTimeoutMs: 30_000, maxOpenConnections: 2 },
    { logger: createLogger({ service: "test", level: "silent" }) },
  );
  await store.migrate();
  repository = createWardenRepository(store);
  accounts = createAccounts({ repository });
  await accounts.createOrganization({ id: "shop", name: "Shop" });
});

afterAll(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const authenticator = () => createAuthenticator({ repository, jwt: { organizationClaim: "org_id" } });

describe("publishable keys", () => {
  it("can only write events, are bound to their normalised origins, and say so when authenticated", async () => {
    const { key, credential } = await accounts.createApiKey({
      organizationId: "shop",
      name: "site",
      scopes: [],
      kind: "publishable",
      allowedOrigins: ["https://Shop.Example:443", "http://localhost:5173/", "https://shop.example"],
    });
    expect(credential).toMatch(/^trkp_[a-z0-9]{12}_[a-z0-9]{40}$/);
    expect(key).toMatchObject({ kind: "publishable", scopes: ["events:write"] });
    expect(key.allowedOrigins).toEqual(["https://shop.example", "http://localhost:5173"]);

    const identity = await authenticator().identify(credential);
    expect(identity.keyKind).toBe("publishable");
    expect(identity.allowedOrigins).toEqual(["https://shop.example", "http://localhost:5173"]);
    expect(identity.context.scopes).toEqual([Scope.EVENTS_WRITE]);

    // Stored and read back the same way, listed with its kind and origins.
    const listed = (await repository.listApiKeys("shop")).find((k) => k.id === key.id);
    expect(listed).toMatchObject({ kind: "publishable", scopes: ["events:write"], allowedOrigins: key.allowedOrigins });
  });

  it("secret keys stay what they were: every scope, no origins", async () => {
    const { key, credential } = await accounts.createApiKey({ organizationId: "shop", name: "server", scopes: [] });
    expect(credential.startsWith("trk_")).toBe(true);
    expect(key).toMatchObject({ kind: "secret", allowedOrigins: [] });
    const identity = await authenticator().identify(credential);
    expect(identity).toMatchObject({ keyKind: "secret", allowedOrigins: [] });
    expect(identity.context.scopes).toContain(Scope.ANALYTICS_READ);
  });

  it("refuse other scopes, missing or malformed origins, and origins on a secret key, naming the field", async () => {
    const create = (input: { scopes?: string[]; allowedOrigins?: string[]; kind?: "secret" | "publishable" }) =>
      accounts.createApiKey({
        organizationId: "shop",
        name: "x",
        scopes: input.scopes ?? [],
        kind: input.kind ?? "publishable",
        allowedOrigins: input.allowedOrigins,
      });
    const field = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).violations[0];
    };
    expect(await field(create({ scopes: ["analytics:read"], allowedOrigins: ["https://a.example"] }))).toMatchObject({
      field: "scopes",
      reason: expect.stringContaining("only have events:write"),
    });
    expect(await field(create({ allowedOrigins: [] }))).toMatchObject({ field: "allowed_origins" });
    expect(await field(create({ allowedOrigins: ["https://a.example/shop"] }))).toMatchObject({
      field: "allowed_origins[0]",
      reason: expect.stringContaining("only scheme, host and port"),
    });
    expect(await field(create({ allowedOrigins: ["https://a.example", "ftp://b.example"] }))).toMatchObject({
      field: "allowed_origins[1]",
    });
    expect(await field(create({ allowedOrigins: ["not an origin"] }))).toMatchObject({ field: "allowed_origins[0]" });
    expect(await field(create({ kind: "secret", allowedOrigins: ["https://a.example"] }))).toMatchObject({
      field: "allowed_origins",
    });
  });

  it("the admin RPC creates one and Authenticate answers its kind and origins", async () => {
    const service = createWardenService({ authenticator: authenticator(), accounts, repository, authCacheSeconds: 30 });
    const context = (method: (typeof WardenService.methods)[number]) =>
      createHandlerContext({
        service: WardenService,
        method,
        protocolName: "test",
        requestMethod: "POST",
        url: `/${WardenService.typeName}/${method.name}`,
      });
    const created = await service.createApiKey(
      create(CreateApiKeyRequestSchema, {
        organizationId: "shop",
        name: "rpc",
        kind: KeyKind.PUBLISHABLE,
        allowedOrigins: ["https://rpc.example"],
      }),
      context(WardenService.method.createApiKey),
    );
    expect(created.key).toMatchObject({
      kind: KeyKind.PUBLISHABLE,
      allowedOrigins: ["https://rpc.example"],
      scopes: [Scope.EVENTS_WRITE],
    });
    const answer = await service.authenticate(
      create(AuthenticateRequestSchema, { credential: created.secret }),
      context(WardenService.method.authenticate),
    );
    expect(answer).toMatchObject({ keyKind: KeyKind.PUBLISHABLE, allowedOrigins: ["https://rpc.example"] });
  });
});
