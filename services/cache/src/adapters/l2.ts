import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { inSpan, type Logger, ORG_ATTRIBUTE } from "@trellis/platform";
import type { Breaker } from "../domain/breaker.js";
import { decodeEntry, type Entry, EnvelopeError, encodeEntry } from "../domain/envelope.js";
import { versionsKey } from "../domain/keys.js";
import { createSingleflight } from "../domain/singleflight.js";
import type { CacheMetrics } from "../metrics.js";
import type { RedisPort, VersionOp } from "./redis.js";

export const BREAKER_ATTRIBUTE = "trellis.cache.redis_breaker";

export interface L2Deps {
  redis: RedisPort;
  breaker: Breaker;
  keyPrefix: string;
  /** Longest wait for one Redis call. */
  timeoutMs: number;
  /** Time to live of an organization's versions hash; longer than any entry's. */
  versionsTtlMs: number;
  metrics: CacheMetrics;
  logger: Logger;
}

export class RedisTimeoutError extends Error {
  override name = "RedisTimeoutError";
}

export interface L2Read {
  entry?: Entry;
  /** False when Redis was skipped or failed: the read says nothing about the entry. */
  available: boolean;
}

const unavailable = Symbol("unavailable");

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(`no reply within ${ms} ms`)), ms);
  });
  // The command may still settle after the timeout; nobody waits for it then.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The Redis level behind a circuit breaker: every call is bounded by a timeout, traced, and
 * turned into "unavailable" on any failure, so Redis being down, paused or frozen makes the
 * cache slower (misses), never wrong or failing. Concurrent reads of one key share a GET.
 */
export function createL2(deps: L2Deps) {
  const { breaker, metrics, logger } = deps;
  const reads = createSingleflight<L2Read>();
  const lastLogged = new Map<string, number>();

  function logFailure(command: string, error: unknown): void {
    const now = Date.now();
    if (now - (lastLogged.get(command) ?? 0) < 1_000) return;
    lastLogged.set(command, now);
    logger.warn({ err: error, command, breaker: breaker.state }, "redis call failed; answering without it");
  }

  async function guarded<T>(
    command: string,
    organizationId: string,
    work: () => Promise<T>,
  ): Promise<T | typeof unavailable> {
    const ticket = breaker.admit();
    if (!ticket) {
      metrics.count("l2_skipped");
      return unavailable;
    }
    const started = performance.now();
    return inSpan(
      `redis ${command}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "db.system.name": "redis",
          "db.operation.name": command,
          [ORG_ATTRIBUTE]: organizationId,
          [BREAKER_ATTRIBUTE]: breaker.state,
        },
      },
      async (span) => {
        try {
          const value = await withTimeout(work(), deps.timeoutMs);
          breaker.success(ticket);
          return value;
        } catch (error) {
          breaker.failure(ticket);
          metrics.count("l2_errors");
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : "error" });
          logFailure(command, error);
          return unavailable;
        } finally {
          metrics.observe(`redis.${command.toLowerCase()}`, performance.now() - started);
          span.end();
        }
      },
    );
  }

  async function read(organizationId: string, fullKey: string): Promise<L2Read> {
    const bytes = await guarded("GET", organizationId, () => deps.redis.get(fullKey));
    if (bytes === unavailable) return { available: false };
    if (bytes === null) return { available: true };
    try {
      return { entry: decodeEntry(bytes, organizationId, fullKey), available: true };
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      metrics.count("l2_rejected");
      logger.error({ err: error, cache_key: fullKey }, "refused a Redis value that is not this organization's entry");
      return { available: true };
    }
  }

  return {
    get(organizationId: string, fullKey: string): Promise<L2Read> {
      const flight = reads.run(`${organizationId}\u0000${fullKey}`, () => read(organizationId, fullKey));
      if (flight.shared) metrics.count("l2_coalesced");
      return flight.promise;
    },

    async set(entry: Entry, ttlMs: number): Promise<boolean> {
      const stored = await guarded("SET", entry.organizationId, () =>
        deps.redis.set(entry.key, encodeEntry(entry), ttlMs),
      );
      return stored !== unavailable;
    },

    /** The organization's versions after `ops`, or undefined when Redis is out of reach. */
    async syncVersions(organizationId: string, ops: readonly VersionOp[]): Promise<Map<string, bigint> | undefined> {
      const key = versionsKey(deps.keyPrefix, organizationId);
      const fields = await guarded("EVALSHA", organizationId, () =>
        deps.redis.syncVersions(key, deps.versionsTtlMs, ops),
      );
      return fields === unavailable ? undefined : fields;
    },

    get breakerState() {
      return breaker.state;
    },

    get healthy(): boolean {
      return breaker.state === "closed";
    },

    close(): Promise<void> {
      return deps.redis.close();
    },
  };
}

export type L2 = ReturnType<typeof createL2>;
