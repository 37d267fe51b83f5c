import { rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Scope } from "@trellis/contracts";
import { createLogger, UnauthenticatedError, ValidationError } from "@trellis/platform";
import { createStore, type Store } from "@trellis/store";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { createWardenRepository } from "../../src/adapters/clickhouse.js";
import { createAccounts } from "../../src/domain/accounts.js";
import { createAuthenticator } from "../../src/domain/authenticator.js";

const JWT_SECRET = "jwt-secret-for-tests-0123456789abcdef";
const dataDir = tempDir("warden");
let store: Store;
let accounts: ReturnType<typeof createAccounts>;
let repository: ReturnType<typeof createWardenRepository>;
let jwks: http.Server;
let jwksUrl = "";
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

beforeAll(async () => {
  store = createStore(
    { database: testDatabase("warden"), dataDir, requestTimeoutMs: 30_000, maxOpenConnections: 2 },
    { logger: createLogger({ service: "test", level: "silent" }) },
  );
  await store.migrate();
  repository = createWardenRepository(store);
  accounts = createAccounts({ repository });
  await accounts.createOrganization({ id: "acme", name: "Acme", retentionDays: 90 });

  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
  jwks = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await store?.close();
  jwks?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function hmacToken(claims: Record<string, unknown>, expiresIn = "5m") {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("user-1")
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(JWT_SECRET));
}

describe("API keys", () => {
  it("authenticate to the key's organization with its scopes, then stop working once revoked", async () => {
    const authenticator = createAuthenticator({ repository, jwt: { organizationClaim: "org_id" } });
    const { key, credential } = await accounts.createApiKey({
      organizationId: "acme",
      name: "ci",
      scopes: ["analytics:read"],
    });
    const context = await authenticator.authenticate(credential);
    expect(context.organizationId).toBe("acme");
    expect(context.principal).toBe(`key:${key.id}`);
    expect(context.scopes).toEqual([Scope.ANALYTICS_READ]);
    expect(context.retentionDays).toBe(90);

    const tampered = `${credential.slice(0, -1)}${credential.endsWith("x") ? "y" : "x"}`;
    await expect(authenticator.authenticate(tampered)).rejects.toThrow(UnauthenticatedError);
    await accounts.revokeApiKey(key.id);
    await expect(authenticator.authenticate(credential)).rejects.toThrow("revoked");
  });

  it("are stored only as hashes", async () => {
    const { key, credential } = await accounts.createApiKey({ organizationId: "acme", name: "hash", scopes: [] });
    const stored = await repository.getApiKey(key.id);
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(credential.split("_")[2]);
  });

  it("refuse unknown scopes and unknown organizations", async () => {
    await expect(accounts.createApiKey({ organizationId: "acme", name: "x", scopes: ["root"] })).rejects.toThrow(
      ValidationError,
    );
    await expect(accounts.createApiKey({ organizationId: "nobody", name: "x", scopes: [] })).rejects.toThrow(
      "does not exist",
    );
  });
});

describe("bearer JWTs", () => {
  it("verify HS256 tokens and map the scope claim", async () => {
    const authenticator = createAuthenticator({ repository, jwt: { secret: JWT_SECRET, organizationClaim: "org_id" } });
    const context = await authenticator.authenticate(
      await hmacToken({ org_id: "acme", scope: "analytics:read sql:run" }),
    );
    expect(context.organizationId).toBe("acme");
    expect(context.principal).toBe("jwt:user-1");
    expect(context.scopes).toEqual([Scope.ANALYTICS_READ, Scope.SQL_RUN]);
  });

  it("reject expired tokens, missing organization claims and unknown organizations", async () => {
    const authenticator = createAuthenticator({ repository, jwt: { secret: JWT_SECRET, organizationClaim: "org_id" } });
    const expired = await new SignJWT({ org_id: "acme" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(JWT_SECRET));
    await expect(authenticator.authenticate(expired)).rejects.toThrow(UnauthenticatedError);
    await expect(authenticator.authenticate(await hmacToken({ scope: "analytics:read" }))).rejects.toThrow(
      'no "org_id" claim',
    );
    await expect(authenticator.authenticate(await hmacToken({ org_id: "ghost" }))).rejects.toThrow("does not exist");
  });

  it("verify asymmetric tokens against a JWKS URL and reject other signers", async () => {
    const authenticator = createAuthenticator({
      repository,
      jwt: { jwksUrl, issuer: "https://idp.test", audience: "trellis", organizationClaim: "org_id" },
    });
    const signed = (key: typeof privateKey, audience = "trellis") =>
      new SignJWT({ org_id: "acme", scope: ["events:write"] })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer("https://idp.test")
        .setAudience(audience)
        .setSubject("svc")
        .setExpirationTime("5m")
        .sign(key);
    const context = await authenticator.authenticate(await signed(privateKey));
    expect(context.scopes).toEqual([Scope.EVENTS_WRITE]);
    await expect(authenticator.authenticate(await signed(privateKey, "someone-else"))).rejects.toThrow(
      UnauthenticatedError,
    );
    const stranger = await generateKeyPair("ES256");
    await expect(authenticator.authenticate(await signed(stranger.privateKey))).rejects.toThrow(UnauthenticatedError);
  });

  it("are refused when no secret or JWKS is configured", async () => {
    const authenticator = createAuthenticator({ repository, jwt: { organizationClaim: "org_id" } });
    await expect(authenticator.authenticate(await hmacToken({ org_id: "acme" }))).rejects.toThrow("not accepted");
  });
});
