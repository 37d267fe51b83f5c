import { contextSecretEnvShape, type ProcessConfig, serviceConfig } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";

export interface DiscoveryConfig extends ProcessConfig {
  contextSecret: string;
  store: StoreConfig;
}

/** Discovery's variables, its config from them and its loadConfig (see serviceConfig). */
export const {
  shape: discoveryEnvShape,
  from: discoveryConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8085,
  [storeEnvShape, contextSecretEnvShape],
  (parsed) =>
    ({
      contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
      store: storeConfigFrom(parsed),
    }) satisfies Partial<DiscoveryConfig>,
);
