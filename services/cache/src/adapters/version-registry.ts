import { applyBump, type Bump, type VersionVector } from "../domain/versions.js";
import type { CacheMetrics } from "../metrics.js";
import type { VersionOp } from "./redis.js";

/** Where versions are shared between cache instances (Redis); undefined means out of reach. */
export interface VersionSync {
  syncVersions(organizationId: string, ops: readonly VersionOp[]): Promise<Map<string, bigint> | undefined>;
  /** False while Redis is known to be failing (its breaker is not closed). */
  readonly healthy: boolean;
}

export interface VersionRegistryDeps {
  /** Absent: versions live in this process only. */
  sync?: VersionSync;
  /** How long a synced copy is used before Redis is asked again (0: on every call). */
  maxAgeMs: number;
  metrics?: CacheMetrics;
  clock?: () => number;
  /** Called when an organization's versions move, here or (as seen on a sync) elsewhere. */
  onChange?: (organizationId: string) => void;
}

interface OrganizationVersions {
  /** Every value this process has seen or made; fields only move forward. */
  local: Map<string, bigint>;
  /** Advances made here and not yet applied in Redis. */
  pending: Map<string, bigint>;
  syncedAt: number;
  flight?: Promise<boolean>;
}

/**
 * Per-organization versions, shared through Redis when it is configured.
 *
 * Each process keeps a copy and asks Redis again once the copy is `maxAgeMs` old, so an
 * advance made through another instance is seen within that time. When Redis is out of
 * reach the copy is used as it is and advances apply to it alone (they are replayed in Redis
 * on the next successful sync): entries of this process stay consistent with its own
 * advances, and may lag advances made elsewhere by the length of the outage plus
 * `maxAgeMs`, never longer than their TTL. Versions never go back, here or in Redis.
 */
export function createVersionRegistry(deps: VersionRegistryDeps) {
  const now = deps.clock ?? Date.now;
  // One small record per organization seen, never evicted: forgetting them would let version
  // numbers be reused (in-process only) or stop lifting a Redis that lost them.
  const organizations = new Map<string, OrganizationVersions>();

  function stateOf(organizationId: string): OrganizationVersions {
    let state = organizations.get(organizationId);
    if (!state) {
      state = { local: new Map(), pending: new Map(), syncedAt: Number.NEGATIVE_INFINITY };
      organizations.set(organizationId, state);
    }
    return state;
  }

  function sync(organizationId: string, state: OrganizationVersions, sync: VersionSync): Promise<boolean> {
    const sent = new Map(state.pending);
    const ops = [...state.local].map(([field, floor]) => ({ field, increment: sent.get(field) ?? 0n, floor }));
    const flight = (async () => {
      const remote = await sync.syncVersions(organizationId, ops);
      if (!remote) {
        deps.metrics?.count("versions_fallback");
        return false;
      }
      let moved = false;
      for (const [field, value] of remote) {
        if (value > (state.local.get(field) ?? 0n)) {
          state.local.set(field, value);
          moved = true;
        }
      }
      if (moved) deps.onChange?.(organizationId);
      for (const [field, count] of sent) {
        const left = (state.pending.get(field) ?? 0n) - count;
        if (left > 0n) state.pending.set(field, left);
        else state.pending.delete(field);
      }
      state.syncedAt = now();
      return true;
    })().finally(() => {
      state.flight = undefined;
    });
    state.flight = flight;
    return flight;
  }

  return {
    /**
     * The organization's versions, fresh within `maxAgeMs` while Redis is healthy. While it
     * is not, the local copy answers at once and the sync (perhaps the breaker's probe) runs
     * without anyone waiting for it. Use the result before the next await.
     */
    async current(organizationId: string): Promise<VersionVector> {
      const state = stateOf(organizationId);
      if (deps.sync && (state.pending.size > 0 || now() - state.syncedAt >= deps.maxAgeMs)) {
        const flight = state.flight ?? sync(organizationId, state, deps.sync);
        if (deps.sync.healthy) await flight;
      }
      return state.local;
    },

    /** Applies `bumps` here at once and in Redis when it can be reached. */
    async advance(organizationId: string, bumps: readonly Bump[]): Promise<VersionVector> {
      const state = stateOf(organizationId);
      for (const bump of bumps) {
        state.local.set(bump.field, applyBump(state.local.get(bump.field) ?? 0n, bump));
        if (deps.sync) state.pending.set(bump.field, (state.pending.get(bump.field) ?? 0n) + 1n);
      }
      if (bumps.length > 0) deps.onChange?.(organizationId);
      if (deps.sync) {
        // A sync already in flight was prepared before these bumps; wait for it, then send them.
        while (state.pending.size > 0) {
          if (!(await (state.flight ?? sync(organizationId, state, deps.sync)))) break;
        }
      }
      return state.local;
    },
  };
}

export type VersionRegistry = ReturnType<typeof createVersionRegistry>;
