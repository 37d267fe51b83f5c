import { type Env, env, parseEnv, processConfigFrom, processEnvShape } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";
import type { z } from "zod";

export interface IngestConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
  contextSecret: string;
  store: StoreConfig;
}

export const ingestEnvShape = {
  ...processEnvShape(8084),
  ...storeEnvShape,
  TRELLIS_CONTEXT_SECRET: env.secret(),
};

export function ingestConfigFrom(parsed: z.infer<z.ZodObject<typeof ingestEnvShape>>): IngestConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    store: storeConfigFrom(parsed),
  };
}

export function loadConfig(environment: Env = process.env): IngestConfig {
  return ingestConfigFrom(parseEnv(ingestEnvShape, environment));
}
