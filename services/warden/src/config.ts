import { type Env, env, parseEnv, processConfigFrom, processEnvShape } from "@trellis/platform";
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

export interface WardenConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
  store: StoreConfig;
  jwt: JwtConfig;
  /** Bearer token for the admin RPCs; they are refused when unset. */
  adminToken?: string;
  /** How long the gateway may reuse an authentication answer, in seconds. */
  authCacheSeconds: number;
}

export const wardenEnvShape = {
  ...processEnvShape(8081),
  ...storeEnvShape,
  TRELLIS_JWT_SECRET: env.secret().optional(),
  TRELLIS_JWT_JWKS_URL: env.url().optional(),
  TRELLIS_JWT_ISSUER: z.string().optional(),
  TRELLIS_JWT_AUDIENCE: z.string().optional(),
  TRELLIS_JWT_ORG_CLAIM: z.string().default("org_id"),
  TRELLIS_WARDEN_ADMIN_TOKEN: env.secret().optional(),
  TRELLIS_AUTH_CACHE_SECONDS: z.coerce
    .number({ error: "expected a number of seconds" })
    .int()
    .min(0, "expected 0 or more seconds")
    .default(30),
};

export function wardenConfigFrom(parsed: z.infer<z.ZodObject<typeof wardenEnvShape>>): WardenConfig {
  return {
    ...processConfigFrom(parsed),
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
  };
}

export function loadConfig(environment: Env = process.env): WardenConfig {
  return wardenConfigFrom(parseEnv(wardenEnvShape, environment));
}
