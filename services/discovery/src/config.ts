import {
  configLoader,
  contextSecretEnvShape,
  type EnvOf,
  type ProcessConfig,
  processConfigFrom,
  processEnvShape,
} from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";

export interface DiscoveryConfig extends ProcessConfig {
  contextSecret: string;
  store: StoreConfig;
}

export const discoveryEnvShape = { ...processEnvShape(8085), ...storeEnvShape, ...contextSecretEnvShape };

export function discoveryConfigFrom(parsed: EnvOf<typeof discoveryEnvShape>): DiscoveryConfig {
  return {
    ...processConfigFrom(parsed),
    contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
    store: storeConfigFrom(parsed),
  };
}

export const loadConfig = configLoader(discoveryEnvShape, discoveryConfigFrom);
