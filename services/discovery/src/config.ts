import { type Env, env, parseEnv, processConfigFrom, processEnvShape } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";
import type { z } from "zod";

export interface DiscoveryConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
  contextSecret: string;
  store: StoreConfig;
}

export const discoveryEnvShape = {
  ...processEnvShape(8085),
  ...storeEnvShape,
  TRELLIS_CONTEXT_SECRET: env.secret(),
};

export function discoveryConfigFrom(parsed: z.infer<z.ZodObject<typeof discoveryEnvShape>>): DiscoveryConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    store: storeConfigFrom(parsed),
  };
}

export function loadConfig(environment: Env = process.env): DiscoveryConfig {
  return discoveryConfigFrom(parseEnv(discoveryEnvShape, environment));
}
