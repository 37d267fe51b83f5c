import { type Env, env, parseEnv, processConfigFrom, processEnvShape } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";
import type { z } from "zod";

export interface QueryConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
  contextSecret: string;
  store: StoreConfig;
  /** The cache service; absent only when the process hosts it too. */
  cacheUrl?: string;
}

export const queryEnvShape = {
  ...processEnvShape(8082),
  ...storeEnvShape,
  TRELLIS_CONTEXT_SECRET: env.secret(),
  TRELLIS_CACHE_URL: env.url(),
};

export function queryConfigFrom(parsed: z.infer<z.ZodObject<typeof queryEnvShape>>): QueryConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    store: storeConfigFrom(parsed),
    cacheUrl: parsed.TRELLIS_CACHE_URL,
  };
}

export function loadConfig(environment: Env = process.env): QueryConfig {
  return queryConfigFrom(parseEnv(queryEnvShape, environment));
}
