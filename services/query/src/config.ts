import { type BigQueryConfig, bigQueryConfigFrom, bigQueryEnvShape } from "@trellis/bigquery";
import { contextSecretEnvShape, type ProcessConfig, peersEnvShape, serviceConfig } from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";

export interface QueryConfig extends ProcessConfig {
  contextSecret: string;
  store: StoreConfig;
  /** The cache service; absent only when the process hosts it too. */
  cacheUrl?: string;
  /** BigQuery, when a project is set: the read path answers long ranges from it when configured. */
  bigquery?: BigQueryConfig;
}

/**
 * The query service's variables, its config from them (no cache URL in the all-in-one process)
 * and its loadConfig (see serviceConfig).
 */
export const {
  shape: queryEnvShape,
  from: queryConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8082,
  [
    storeEnvShape,
    contextSecretEnvShape,
    bigQueryEnvShape,
    {
      TRELLIS_CACHE_URL: peersEnvShape.TRELLIS_CACHE_URL,
    },
  ],
  (parsed) =>
    ({
      contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
      store: storeConfigFrom(parsed),
      cacheUrl: parsed.TRELLIS_CACHE_URL,
      bigquery: bigQueryConfigFrom(parsed),
    }) satisfies Partial<QueryConfig>,
);
