import { create } from "@bufbuild/protobuf";
import { type OrgContext, OrgContextSchema } from "@trellis/contracts";
import { UnauthenticatedError } from "@trellis/platform";
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import type { ApiKeyKind, WardenRepository } from "../adapters/clickhouse.js";
import type { JwtConfig } from "../config.js";
import { apiKeyId, hashCredential, hashesMatch } from "./api-key.js";
import { parseScopes } from "./scopes.js";

export interface AuthenticatorDeps {
  repository: WardenRepository;
  jwt: JwtConfig;
}

/** Who a credential is, and for a key, what kind of key it is and where it may be used from. */
export interface Identity {
  context: OrgContext;
  /** Undefined for a JWT. */
  keyKind?: ApiKeyKind;
  allowedOrigins: string[];
}

/** Turns an API key or a bearer JWT into an org context, or says why it cannot. */
export function createAuthenticator({ repository, jwt }: AuthenticatorDeps) {
  const jwks = jwt.jwksUrl ? createRemoteJWKSet(new URL(jwt.jwksUrl)) : undefined;
  const hmacKey = jwt.secret ? new TextEncoder().encode(jwt.secret) : undefined;

  async function contextFor(
    organizationId: string,
    principal: string,
    scopeNames: readonly string[],
  ): Promise<OrgContext> {
    const org = await repository.getOrganization(organizationId);
    if (!org) throw new UnauthenticatedError("the credential's organization does not exist");
    return create(OrgContextSchema, {
      organizationId: org.id,
      organizationName: org.name,
      principal,
      scopes: parseScopes(scopeNames).scopes,
      retentionDays: org.retentionDays,
    });
  }

  async function fromApiKey(credential: string, id: string): Promise<Identity> {
    const key = await repository.getApiKey(id);
    if (!key || !hashesMatch(key.secretHash, hashCredential(credential))) {
      throw new UnauthenticatedError("unknown API key");
    }
    if (key.revokedAt) throw new UnauthenticatedError("API key has been revoked");
    return {
      context: await contextFor(key.organizationId, `key:${key.id}`, key.scopes),
      keyKind: key.kind,
      allowedOrigins: key.allowedOrigins,
    };
  }

  async function verifyJwt(token: string): Promise<JWTPayload> {
    const options = { issuer: jwt.issuer, audience: jwt.audience, requiredClaims: ["exp"] };
    try {
      if (jwks) return (await jwtVerify(token, jwks, options)).payload;
      if (hmacKey) return (await jwtVerify(token, hmacKey, { ...options, algorithms: ["HS256"] })).payload;
    } catch (error) {
      throw new UnauthenticatedError(`bearer token rejected: ${(error as Error).message}`, { cause: error });
    }
    throw new UnauthenticatedError("bearer tokens are not accepted: no JWT secret or JWKS URL is configured");
  }

  async function fromJwt(token: string): Promise<Identity> {
    const payload = await verifyJwt(token);
    const organizationId = payload[jwt.organizationClaim];
    if (typeof organizationId !== "string" || organizationId === "") {
      throw new UnauthenticatedError(`bearer token has no "${jwt.organizationClaim}" claim`);
    }
    const scope = payload.scope ?? payload.scp;
    const scopes =
      typeof scope === "string" ? scope.split(" ").filter(Boolean) : Array.isArray(scope) ? scope.map(String) : [];
    return {
      context: await contextFor(organizationId, `jwt:${payload.sub ?? "anonymous"}`, scopes),
      allowedOrigins: [],
    };
  }

  async function identify(credential: string): Promise<Identity> {
    const trimmed = credential.trim();
    if (!trimmed) throw new UnauthenticatedError("no credential was given");
    const id = apiKeyId(trimmed);
    if (id) return fromApiKey(trimmed, id);
    if (trimmed.split(".").length === 3) return fromJwt(trimmed);
    throw new UnauthenticatedError("credential is neither an API key nor a JWT");
  }

  return {
    identify,
    async authenticate(credential: string): Promise<OrgContext> {
      return (await identify(credential)).context;
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
