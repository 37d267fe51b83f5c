import {
  configLoader,
  contextSecretEnvShape,
  type EnvOf,
  type PeersOptional,
  type ProcessConfig,
  peersEnvShape,
  processConfigFrom,
  processEnvShape,
} from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";

export interface QueryConfig extends ProcessConfig {
  contextSecret: string;
  store: StoreConfig;
  /** The cache service; absent only when the process hosts it too. */
  cacheUrl?: string;
}

export const queryEnvShape = {
  ...processEnvShape(8082),
  ...storeEnvShape,
  ...contextSecretEnvShape,
  TRELLIS_CACHE_URL: peersEnvShape.TRELLIS_CACHE_URL,
};

export function queryConfigFrom(parsed: PeersOptional<EnvOf<typeof queryEnvShape>>): QueryConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    store: storeConfigFrom(parsed),
    cacheUrl: parsed.TRELLIS_CACHE_URL,
  };
}

export const loadConfig = configLoader(queryEnvShape, queryConfigFrom);
