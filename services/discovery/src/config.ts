import {
  configGroup,
  contextSecretEnvShape,
  env,
  key,
  type ProcessConfig,
  peersEnvShape,
  serviceConfig,
} from "@trellis/platform";
import { type StoreConfig, storeConfigFrom, storeEnvShape } from "@trellis/store";

export interface DiscoveryConfig extends ProcessConfig {
  contextSecret: string;
  store: StoreConfig;
  /** The query service (campaigns); absent only when the process hosts it too. */
  queryUrl?: string;
  /** The cache service (answers); absent: every call computes, and stores a run. */
  cacheUrl?: string;
  /** How often due schedules are looked for, ms; 0: never (no scheduled runs in this process). */
  scheduleTickMs: number;
  webhook: {
    attempts: number;
    backoffMs: number;
    timeoutMs: number;
    /** Plain HTTP to a loopback receiver allowed; otherwise HTTPS to public addresses only. */
    allowLoopback: boolean;
  };
}

export const discoveryKeys = configGroup("Discovery", {
  TRELLIS_DISCOVERY_SCHEDULE_TICK_MS: key(
    env.wholeNumber(60_000),
    "ms",
    "how often discovery looks for due schedules (hourly and daily runs); `0`: this process runs none",
  ),
  TRELLIS_DISCOVERY_WEBHOOK_ATTEMPTS: key(
    env.positiveInt(5),
    "count",
    "attempts to deliver one webhook announcement before it is logged as failed",
  ),
  TRELLIS_DISCOVERY_WEBHOOK_BACKOFF_MS: key(
    env.positiveInt(2_000),
    "ms",
    "wait before the first retry of a webhook delivery; doubled before each further one",
  ),
  TRELLIS_DISCOVERY_WEBHOOK_TIMEOUT_MS: key(env.positiveInt(10_000), "ms", "deadline of one webhook delivery attempt"),
  TRELLIS_DISCOVERY_WEBHOOK_ALLOW_LOOPBACK: key(
    env.bool(false),
    "boolean",
    "`true`: a webhook may be plain HTTP to a loopback host (a receiver beside the product); `false`: HTTPS to public addresses only, checked again at each delivery",
  ),
});

/** Discovery's variables, its config from them and its loadConfig (see serviceConfig). */
export const {
  shape: discoveryEnvShape,
  from: discoveryConfigFrom,
  load: loadConfig,
} = serviceConfig(
  8085,
  [
    storeEnvShape,
    contextSecretEnvShape,
    discoveryKeys,
    {
      TRELLIS_QUERY_URL: peersEnvShape.TRELLIS_QUERY_URL,
      TRELLIS_CACHE_URL: peersEnvShape.TRELLIS_CACHE_URL.optional(),
    },
  ],
  (parsed) =>
    ({
      contextSecret: parsed.TRELLIS_CONTEXT_SECRET,
      store: storeConfigFrom(parsed),
      queryUrl: parsed.TRELLIS_QUERY_URL,
      cacheUrl: parsed.TRELLIS_CACHE_URL,
      scheduleTickMs: parsed.TRELLIS_DISCOVERY_SCHEDULE_TICK_MS,
      webhook: {
        attempts: parsed.TRELLIS_DISCOVERY_WEBHOOK_ATTEMPTS,
        backoffMs: parsed.TRELLIS_DISCOVERY_WEBHOOK_BACKOFF_MS,
        timeoutMs: parsed.TRELLIS_DISCOVERY_WEBHOOK_TIMEOUT_MS,
        allowLoopback: parsed.TRELLIS_DISCOVERY_WEBHOOK_ALLOW_LOOPBACK,
      },
    }) satisfies Partial<DiscoveryConfig>,
);
