import { authCacheEnvShape, configGroup, env, key, type ProcessConfig, serviceConfig } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";
import { z } from "zod";

export interface JwtConfig {
  /** HS256 shared secret. */
  secret?: string;
  /** JWKS endpoint for asymmetric keys (RS256, ES256, EdDSA). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Claim holding the organization id. */
  organizationClaim: string;
}

export interface WardenConfig extends ProcessConfig {
  store: StoreConfig;
  jwt: JwtConfig;
  /** Bearer token for the admin RPCs; they are refused when unset. */
  adminToken?: string;
  /** How long the gateway may reuse an authentication answer, in seconds. */
  authCacheSeconds: number;
}

/** How Warden accepts bearer JWTs, and the token of its admin RPCs. */
export const wardenAuthKeys = configGroup("Authentication", {
  TRELLIS_JWT_SECRET: key(
    env.secret().optional(),
    "secret, ≥ 32 characters",
    "accept HS256 bearer JWTs signed with this secret",
  ),
  TRELLIS_JWT_JWKS_URL: key(
    env.url().optional(),
    "URL",
    "accept bearer JWTs signed by keys of this JWKS (takes precedence over the secret)",
  ),
  TRELLIS_JWT_ISSUER: key(z.string().optional(), "string", "required `iss` of bearer JWTs, when set"),
  TRELLIS_JWT_AUDIENCE: key(z.string().optional(), "string", "required `aud` of bearer JWTs, when set"),
  TRELLIS_JWT_ORG_CLAIM: key(
    z.string().default("org_id"),
    "claim",
    "claim holding the organization id; scopes come from `scope` (space separated) or `scp`",
  ),
  TRELLIS_WARDEN_ADMIN_TOKEN: key(
    env.secret().optional(),
    "secret, ≥ 32 characters",
    "bearer token of the organization/key admin RPCs (all in one, served on its port); unset: admin RPCs off",
  ),
});

/** Warden's variables, its config from them and its loadConfig (see serviceConfig). */
export const {
  shape: wardenEnvShape,
  from: wardenConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8081,
  [storeEnvShape, wardenAuthKeys, authCacheEnvShape],
  (parsed) =>
    ({
      store: storeConfigFrom(parsed),
      jwt: {
        secret: parsed.TRELLIS_JWT_SECRET,
        jwksUrl: parsed.TRELLIS_JWT_JWKS_URL,
        issuer: parsed.TRELLIS_JWT_ISSUER,
        audience: parsed.TRELLIS_JWT_AUDIENCE,
        organizationClaim: parsed.TRELLIS_JWT_ORG_CLAIM,
      },
      adminToken: parsed.TRELLIS_WARDEN_ADMIN_TOKEN,
      authCacheSeconds: parsed.TRELLIS_AUTH_CACHE_SECONDS,
    }) satisfies Partial<WardenConfig>,
);
