import { contextSecretEnvShape, type ProcessConfig, peersEnvShape, serviceConfig } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";

export interface DiscoveryConfig extends ProcessConfig {
  contextSecret: string;
  store: StoreConfig;
  /** The query service (campaigns); absent only when the process hosts it too. */
  queryUrl?: string;
}

/** Discovery's variables, its config from them and its loadConfig (see serviceConfig). */
export const {
  shape: discoveryEnvShape,
  from: discoveryConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8085,
  [storeEnvShape, contextSecretEnvShape, { TRELLIS_QUERY_URL: peersEnvShape.TRELLIS_QUERY_URL }],
  (parsed) =>
    ({
      contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
      store: storeConfigFrom(parsed),
      queryUrl: parsed.TRELLIS_QUERY_URL,
    }) satisfies Partial<DiscoveryConfig>,
);
