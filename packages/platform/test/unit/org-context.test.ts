import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { CacheService, OrgContextSchema, Scope } from "@trellis/contracts";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { contextAuthInterceptor, createContextSigner, kOrgContext, ORG_CONTEXT_HEADER } from "../../src/index.js";

const SECRET = "s".repeat(40);
const signer = createContextSigner({ secret: SECRET });
const context = create(OrgContextSchema, {
  organizationId: "acme",
  principal: "key:abc",
  scopes: [Scope.ANALYTICS_READ],
  retentionDays: 30,
});

describe("context tokens", () => {
  it("round-trip the organization, principal, scopes and retention", async () => {
    const verified = await signer.verify(await signer.mint(context));
    expect(verified.organizationId).toBe("acme");
    expect(verified.principal).toBe("key:abc");
    expect(verified.scopes).toEqual([Scope.ANALYTICS_READ]);
    expect(verified.retentionDays).toBe(30);
  });

  it("reject a token signed with another secret", async () => {
    const forged = await createContextSigner({ secret: "x".repeat(40) }).mint(context);
    await expect(signer.verify(forged)).rejects.toThrow("context token is not valid");
  });

  it("reject an expired token", async () => {
    const expired = await new SignJWT({ org: "acme" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("key:abc")
      .setIssuer("trellis-gateway")
      .setAudience("trellis-internal")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(new TextEncoder().encode(SECRET));
    await expect(signer.verify(expired)).rejects.toThrow("expired");
  });

  it("reject a token for another audience or issuer", async () => {
    const otherAudience = await createContextSigner({ secret: SECRET, audience: "someone-else" }).mint(context);
    await expect(signer.verify(otherAudience)).rejects.toThrow('claim "aud"');
    const otherIssuer = await createContextSigner({ secret: SECRET, issuer: "not-the-gateway" }).mint(context);
    await expect(signer.verify(otherIssuer)).rejects.toThrow('claim "iss"');
  });

  it("reject a token without an organization or with alg none", async () => {
    const noOrg = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("x")
      .setIssuer("trellis-gateway")
      .setAudience("trellis-internal")
      .setExpirationTime("1m")
      .sign(new TextEncoder().encode(SECRET));
    await expect(signer.verify(noOrg)).rejects.toThrow();
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(
      JSON.stringify({ org: "acme", sub: "x", iss: "trellis-gateway", aud: "trellis-internal", exp: 9999999999 }),
    ).toString("base64url");
    await expect(signer.verify(`${header}.${payload}.`)).rejects.toThrow("not valid");
  });
});

describe("the internal auth interceptor", () => {
  // A real internal service (the cache's contract) whose handler reports the context it saw.
  const transport = createRouterTransport(
    (router) =>
      router.service(CacheService, {
        async getVersions(_req, ctx) {
          const org = ctx.values.get(kOrgContext);
          return { dataVersion: BigInt(org?.organizationId.length ?? 0), rulesetVersion: 0n };
        },
      }),
    { router: { interceptors: [contextAuthInterceptor(signer)] } },
  );
  const client = createClient(CacheService, transport);

  async function codeOf(headers: Record<string, string>): Promise<Code | "ok"> {
    try {
      await client.getVersions({}, { headers });
      return "ok";
    } catch (error) {
      return ConnectError.from(error).code;
    }
  }

  it("passes a valid token's context to the handler", async () => {
    const response = await client.getVersions({}, { headers: { [ORG_CONTEXT_HEADER]: await signer.mint(context) } });
    expect(response.dataVersion).toBe(4n);
  });

  it("answers UNAUTHENTICATED to missing, forged, expired and wrong-audience tokens", async () => {
    expect(await codeOf({})).toBe(Code.Unauthenticated);
    expect(await codeOf({ [ORG_CONTEXT_HEADER]: "not-a-jwt" })).toBe(Code.Unauthenticated);
    const forged = await createContextSigner({ secret: "f".repeat(40) }).mint(context);
    expect(await codeOf({ [ORG_CONTEXT_HEADER]: forged })).toBe(Code.Unauthenticated);
    const wrongAudience = await createContextSigner({ secret: SECRET, audience: "elsewhere" }).mint(context);
    expect(await codeOf({ [ORG_CONTEXT_HEADER]: wrongAudience })).toBe(Code.Unauthenticated);
    const expired = await createContextSigner({ secret: SECRET, ttlSeconds: -60 }).mint(context);
    expect(await codeOf({ [ORG_CONTEXT_HEADER]: expired })).toBe(Code.Unauthenticated);
  });

  it("never takes the organization from plain headers", async () => {
    expect(await codeOf({ "x-organization-id": "acme", "organization-id": "acme" })).toBe(Code.Unauthenticated);
  });
});
