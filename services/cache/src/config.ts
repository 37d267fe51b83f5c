import { type Env, env, parseEnv, processConfigFrom, processEnvShape } from "@trellis/platform";
import type { z } from "zod";

export interface CacheConfig {
  host: string;
  port: number;
  logLevel: string;
  shutdownGraceMs: number;
  contextSecret: string;
  /** Upper bound of the in-process cache, in bytes. */
  l1MaxBytes: number;
  /** Largest single value accepted, in bytes. */
  maxValueBytes: number;
}

export const cacheEnvShape = {
  ...processEnvShape(8083),
  TRELLIS_CONTEXT_SECRET: env.secret(),
  TRELLIS_CACHE_L1_MAX_BYTES: env.positiveInt(256 * 1024 * 1024),
  TRELLIS_CACHE_MAX_VALUE_BYTES: env.positiveInt(8 * 1024 * 1024),
};

export function cacheConfigFrom(parsed: z.infer<z.ZodObject<typeof cacheEnvShape>>): CacheConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    l1MaxBytes: parsed.TRELLIS_CACHE_L1_MAX_BYTES,
    maxValueBytes: parsed.TRELLIS_CACHE_MAX_VALUE_BYTES,
  };
}

export function loadConfig(environment: Env = process.env): CacheConfig {
  return cacheConfigFrom(parseEnv(cacheEnvShape, environment));
}
