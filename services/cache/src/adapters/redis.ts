import type { Logger } from "@trellis/platform";
import { Cluster, Redis, type RedisOptions, type Result } from "ioredis";
import type { RedisConfig } from "../config.js";

// Each field becomes max(current + increment, floor): increments made while Redis was out
// of reach are replayed, and a server that lost its versions is lifted back to what this
// process has seen, so a version number is never reused for different data.
const SYNC_VERSIONS_LUA = `
local key = KEYS[1]
for i = 2, #ARGV, 3 do
  local current = tonumber(redis.call('HGET', key, ARGV[i]) or '0')
  local next = current + tonumber(ARGV[i + 1])
  local floor = tonumber(ARGV[i + 2])
  if floor > next then next = floor end
  if next ~= current then redis.call('HSET', key, ARGV[i], string.format('%.0f', next)) end
end
redis.call('PEXPIRE', key, ARGV[1])
return redis.call('HGETALL', key)
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    trellisSyncVersions(key: string, ttlMs: number, ...triples: string[]): Result<string[], Context>;
  }
}

export interface VersionOp {
  field: string;
  increment: bigint;
  floor: bigint;
}

/** The Redis commands the cache uses; every call may reject and is bounded by the caller. */
export interface RedisPort {
  readonly mode: "standalone" | "cluster";
  get(key: string): Promise<Uint8Array | null>;
  set(key: string, value: Uint8Array, ttlMs: number): Promise<void>;
  /** Applies `ops` to the versions hash at `key`, refreshes its TTL, returns all its fields. */
  syncVersions(key: string, ttlMs: number, ops: readonly VersionOp[]): Promise<Map<string, bigint>>;
  /** Resolves true once connected, false if that takes longer than `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Reconnect forever, backing off from 100 ms to 2 s: the breaker, not the client, sheds load. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(2_000, 50 * 2 ** Math.min(attempt, 6));
}

function throttledErrorLog(logger: Logger, everyMs: number) {
  let last = 0;
  let suppressed = 0;
  return (error: Error) => {
    const now = Date.now();
    if (now - last < everyMs) {
      suppressed++;
      return;
    }
    logger.warn({ err: error, suppressed }, "redis connection error; the cache serves from memory meanwhile");
    last = now;
    suppressed = 0;
  };
}

export function createRedis(config: RedisConfig, logger: Logger): RedisPort {
  // Offline queue off: a command sent while disconnected fails at once instead of waiting
  // for a reconnection. No retries per request: a cache read that failed is a miss, and is
  // worth nothing later. commandTimeout bounds each reply; the caller races it as well.
  const connection: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    enableAutoPipelining: true,
    connectionName: "trellis-cache",
    username: config.username,
    password: config.password,
    reconnectOnError: null,
  };
  const scripts = { trellisSyncVersions: { lua: SYNC_VERSIONS_LUA, numberOfKeys: 1 } };
  let client: Redis | Cluster;
  if (config.mode === "cluster") {
    client = new Cluster(config.nodes ?? [], {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: reconnectDelayMs,
      scaleReads: "master",
      maxRedirections: 4,
      retryDelayOnFailover: 50,
      retryDelayOnClusterDown: 50,
      retryDelayOnTryAgain: 50,
      slotsRefreshTimeout: config.connectTimeoutMs,
      redisOptions: {
        maxRetriesPerRequest: 0,
        commandTimeout: config.commandTimeoutMs,
        connectTimeout: config.connectTimeoutMs,
        connectionName: "trellis-cache",
        username: config.username,
        password: config.password,
        reconnectOnError: null,
      },
      scripts,
    });
  } else {
    client = new Redis(config.url ?? "", { ...connection, retryStrategy: reconnectDelayMs, scripts });
  }
  const logError = throttledErrorLog(logger, 5_000);
  client.on("error", logError);
  client.on("ready", () => logger.info({ mode: config.mode }, "redis connected"));

  return {
    mode: config.mode,
    async get(key) {
      return client.getBuffer(key);
    },
    async set(key, value, ttlMs) {
      await client.set(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength), "PX", Math.ceil(ttlMs));
    },
    async syncVersions(key, ttlMs, ops) {
      const triples = ops.flatMap((op) => [op.field, op.increment.toString(), op.floor.toString()]);
      const flat = await client.trellisSyncVersions(key, Math.ceil(ttlMs), ...triples);
      const fields = new Map<string, bigint>();
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const value = flat[i + 1] ?? "0";
        if (/^\d+$/.test(value)) fields.set(flat[i] ?? "", BigInt(value));
      }
      return fields;
    },
    async ready(timeoutMs) {
      if (client.status === "ready") return true;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          client.off("ready", onReady);
          resolve(false);
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        client.once("ready", onReady);
      });
    },
    async close() {
      // QUIT waits for pending replies, which a frozen server never sends.
      const quit = client.quit().then(
        () => true,
        () => false,
      );
      const done = await Promise.race([quit, new Promise<boolean>((r) => setTimeout(() => r(false), 500).unref())]);
      if (!done) client.disconnect();
    },
  };
}
